import * as tf from '@tensorflow/tfjs';
import { initBackend, setNativeThreads, conv2dRelu } from './dist/tf/node.js';
await initBackend({ info() {}, warn() {}, debug() {} });
const x = tf.randomUniform([32, 64, 64, 3]);
const w = tf.randomUniform([5, 5, 3, 16]); const b = tf.zeros([16]);
const x1 = tf.randomUniform([32, 32, 32, 16]); const w1 = tf.randomUniform([3, 3, 16, 32]); const b1 = tf.zeros([32]);
const f0 = () => tf.tidy(() => { conv2dRelu(x, w, b, 2); });
const f1 = () => tf.tidy(() => { conv2dRelu(x1, w1, b1, 2); });
for (const th of [1, 2, 1, 2]) {
  setNativeThreads(th);
  for (const [name, f] of [['c0', f0], ['c1', f1]]) {
    for (let i = 0; i < 5; i++) f();
    const t0 = performance.now(); for (let i = 0; i < 50; i++) f();
    console.log(th, name, ((performance.now() - t0) / 50).toFixed(3));
  }
}
