import * as tf from '@tensorflow/tfjs';
import { initBackend, setNativeThreads, conv2dRelu, QNetwork } from './dist/tf/node.js';
import { resolveQtOptConfig } from './dist/qtopt/node.js';
await initBackend({ info() {}, warn() {}, debug() {} });
const config = resolveQtOptConfig({});
const net = new QNetwork(config.network, 0);
const V = Object.fromEntries(net.namedVariables().map(v => [v.name, v.variable]));
const x = tf.randomUniform([32, 64, 64, 3]);
const c = (t, i) => conv2dRelu(t, V[`conv${i}/kernel`], V[`conv${i}/bias`], 2);
for (const th of [1, 2, 1, 2]) {
  setNativeThreads(th);
  const acc = [0,0,0,0,0];
  for (let it = 0; it < 60; it++) {
    const t = [performance.now()];
    const y = tf.tidy(() => {
      const a = c(x, 0); t.push(performance.now());
      const b = c(a, 1); t.push(performance.now());
      const d = c(b, 2); t.push(performance.now());
      const e = tf.fused.matMul({ a: tf.reshape(d, [32, 2048]), b: V['head/image_kernel'], bias: V['head/bias'] }); t.push(performance.now());
      e.dataSync(); t.push(performance.now());
      return e;
    });
    y.dispose();
    if (it >= 10) for (let k = 0; k < 5; k++) acc[k] += t[k+1] - t[k];
  }
  console.log(th, acc.map(v => (v/50).toFixed(3)).join(' '));
}
