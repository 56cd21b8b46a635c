import * as tf from '@tensorflow/tfjs';
import { initBackend, setNativeThreads, conv2dRelu } from './dist/tf/node.js';
await initBackend({ info() {}, warn() {}, debug() {} });
const x = tf.randomUniform([32, 64, 64, 3]);
const w = tf.randomUniform([5, 5, 3, 16]); const b = tf.zeros([16]);
const junk = new Float32Array(8 << 20);
const f0 = () => tf.tidy(() => { conv2dRelu(x, w, b, 2); });
for (const th of [1, 2, 1, 2]) {
  setNativeThreads(th);
  for (const thrash of [false, true]) {
    let tot = 0;
    for (let i = 0; i < 40; i++) { if (thrash) junk.fill(i); const t0 = performance.now(); f0(); tot += performance.now() - t0; }
    console.log(th, thrash ? 'thrashed' : 'hot', (tot / 40).toFixed(3));
  }
}
