import * as tf from '@tensorflow/tfjs';
import { initBackend, setNativeThreads, QNetwork } from './dist/tf/node.js';
import { resolveQtOptConfig } from './dist/qtopt/node.js';
await initBackend({ info() {}, warn() {}, debug() {} });
const config = resolveQtOptConfig({});
const net = new QNetwork(config.network, 0);
const x = tf.randomUniform([32, 64, 64, 3]);
const st = tf.randomUniform([32, config.network.stateDim]);
const enc = () => tf.tidy(() => net.encode(x, st).dataSync());
for (const th of [1, 2, 1, 2]) {
  setNativeThreads(th);
  for (let i = 0; i < 5; i++) enc();
  const t0 = performance.now(); for (let i = 0; i < 30; i++) enc();
  console.log(th, 'encoder ms', ((performance.now() - t0) / 30).toFixed(2));
}
console.log(config.network);
for (const th of [1, 2]) {
  setNativeThreads(th);
  const p = await tf.profile(enc);
  console.log(th, p.kernels.map(k => `${k.name} ${JSON.stringify(k.inputShapes)} ${Number(k.kernelTimeMs).toFixed(3)}`).join('\n'));
}
