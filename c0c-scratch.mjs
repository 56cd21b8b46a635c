import * as tf from '@tensorflow/tfjs';
import { initBackend, setNativeThreads, conv2dRelu, QNetwork } from './dist/tf/node.js';
import { resolveQtOptConfig } from './dist/qtopt/node.js';
await initBackend({ info() {}, warn() {}, debug() {} });
const config = resolveQtOptConfig({});
const net = new QNetwork(config.network, 0);
const vars = net.namedVariables();
console.log(vars.map(v => v.name + ' ' + v.variable.shape).join(', '));
const k0 = vars.find(v => v.name === 'conv0/kernel').variable, b0 = vars.find(v => v.name === 'conv0/bias').variable;
const x = tf.randomUniform([32, 64, 64, 3]);
const st = tf.randomUniform([32, 3]);
const w = tf.randomUniform([5, 5, 3, 16]); const b = tf.zeros([16]);
const fa = () => tf.tidy(() => { conv2dRelu(x, w, b, 2); });
const fb = () => tf.tidy(() => { conv2dRelu(x, k0, b0, 2); });
const fc = () => tf.tidy(() => net.encode(x, st).dataSync());
for (const th of [1, 2, 1, 2]) {
  setNativeThreads(th);
  for (const [name, f] of [['plain', fa], ['netvars', fb], ['encode', fc]]) {
    for (let i = 0; i < 5; i++) f();
    const t0 = performance.now(); for (let i = 0; i < 40; i++) f();
    console.log(th, name, ((performance.now() - t0) / 40).toFixed(3));
  }
}
