import * as tf from '@tensorflow/tfjs';
import { initBackend, setNativeThreads } from './dist/tf/node.js';
import { bellmanTargets, QtOptLearner, resolveQtOptConfig, imagesTensor } from './dist/qtopt/node.js';
import { actionSpace } from './dist/env/index.js';
import { Rng } from './dist/random/index.js';
await initBackend({ info() {}, warn() {}, debug() {} });
const threads = Number(process.argv[2] ?? 1);
const config = resolveQtOptConfig({});
const learner = new QtOptLearner(config, 0);
setNativeThreads(threads);
const n = 32;
const nets = { argmax: learner.target, values: learner.delayed };
const settings = { argmax: config.bellman.argmax, randomActions: config.bellman.randomActions, cem: config.cem, ignoredActions: [] };
const rng = new Rng(2);
const nextImages = tf.randomUniform([n, 64, 64, 3]);
const nextState = tf.randomUniform([n, config.network.stateDim]);
const rewards = new Float32Array(n), discounts = new Float32Array(n).fill(0.9);
const run = () => bellmanTargets({ rewards, discounts, nextImages, nextState }, nets, settings, rng, actionSpace);
for (let i = 0; i < 5; i++) run();
const p = await tf.profile(run);
const by = new Map();
for (const k of p.kernels) { const e = by.get(k.name) ?? [0,0]; e[0]++; e[1]+=Number(k.kernelTimeMs); by.set(k.name,e); }
let tot=0; for (const [n,[c,t]] of [...by].sort((a,b)=>b[1][1]-a[1][1])) { tot+=t; console.log(n.padEnd(28), c, t.toFixed(3)); }
console.log('kernel total', tot.toFixed(2));
const enc = () => tf.tidy(() => learner.target.encode(nextImages, nextState).dataSync());
let t0 = performance.now(); for (let i=0;i<20;i++) enc(); console.log('one encoder ms', ((performance.now()-t0)/20).toFixed(2));
t0 = performance.now(); for (let i=0;i<20;i++) run(); console.log('targets ms', ((performance.now()-t0)/20).toFixed(2));
