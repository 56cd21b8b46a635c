import * as tf from '@tensorflow/tfjs';
import { initBackend, setNativeThreads, conv2dRelu, QNetwork } from './dist/tf/node.js';
import { resolveQtOptConfig } from './dist/qtopt/node.js';
await initBackend({ info() {}, warn() {}, debug() {} });
const config = resolveQtOptConfig({});
const net = new QNetwork(config.network, 0);
const V = Object.fromEntries(net.namedVariables().map(v => [v.name, v.variable]));
const x = tf.randomUniform([32, 64, 64, 3]);
const c = (t, i) => conv2dRelu(t, V[`conv${i}/kernel`], V[`conv${i}/bias`], 2);
const fs = {
  c0: () => tf.tidy(() => { c(x, 0); }),
  c01: () => tf.tidy(() => { c(c(x, 0), 1); }),
  c012: () => tf.tidy(() => { c(c(c(x, 0), 1), 2); }),
  c012sync: () => tf.tidy(() => { c(c(c(x, 0), 1), 2).dataSync(); }),
};
for (const th of [1, 2, 1, 2]) {
  setNativeThreads(th);
  const r = [];
  for (const [name, f] of Object.entries(fs)) {
    for (let i = 0; i < 5; i++) f();
    const t0 = performance.now(); for (let i = 0; i < 40; i++) f();
    r.push(name + ' ' + ((performance.now() - t0) / 40).toFixed(3));
  }
  console.log(th, r.join(' | '));
}
