import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../src/random/index.js';
import {
  clipByGlobalNorm,
  constantSchedule,
  cosineSchedule,
  createAdam,
  discountedReturn,
  doubleNextQ,
  DQN_DEFAULTS,
  epsilonGreedy,
  epsilonUniform,
  exponentialSchedule,
  gaussianNoise,
  formatSummary,
  getLearningRate,
  hardUpdate,
  huberLoss,
  learningRateSchedule,
  linearSchedule,
  logLoss,
  maxNextQ,
  maybeUpdateTarget,
  MetricsWriter,
  metricsLine,
  mseLoss,
  parseMetrics,
  polyakUpdate,
  QAccuracy,
  resolveDqnConfig,
  runSeeds,
  selectQ,
  setLearningRate,
  shiftLaggedTargets,
  summarize,
  tdLoss,
  tdTargets,
  uniformAction,
} from '../src/rl/node.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const values = (t: tf.Tensor) => Array.from(t.dataSync());
/** Element-wise toBeCloseTo (float32 arithmetic rounds 6.4 and friends). */
function close(actual: number[], expected: number[], digits = 6) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i], digits));
}

describe('schedules (hand tables)', () => {
  it('linear: 1 → 0.05 over 100 steps', () => {
    const s = linearSchedule(1, 0.05, 100);
    // 1 + (0.05 − 1) · t/100, held after 100
    close([0, 50, 100, 200].map(s), [1, 0.525, 0.05, 0.05], 12);
  });

  it('exponential: 1 → 0.01 over 100 steps, a factor 10 every 50', () => {
    const s = exponentialSchedule(1, 0.01, 100);
    const table = [1, 0.1, 0.01, 0.01];
    [0, 50, 100, 150].forEach((t, i) => expect(s(t)).toBeCloseTo(table[i], 12));
    expect(() => exponentialSchedule(1, 0, 10)).toThrow(/> 0/);
  });

  it('cosine: 1e-3 → 0 over 100 steps', () => {
    const s = cosineSchedule(1e-3, 0, 100);
    // 1e-3 · (1 + cos(π t/100)) / 2: t = 25 → 1e-3 · (1 + √½)/2 = 8.5355339e-4
    const table = [1e-3, 8.535533905932737e-4, 5e-4, 0, 0];
    [0, 25, 50, 100, 120].forEach((t, i) => expect(s(t)).toBeCloseTo(table[i], 15));
    expect(constantSchedule(3)(1e9)).toBe(3);
  });

  it('sets Adam’s learning rate per step', () => {
    const cfg = resolveDqnConfig({ learningRate: 0.1, lrSchedule: 'linear', lrEnd: 0.01, lrDecaySteps: 1 });
    const adam = createAdam(cfg);
    const lr = learningRateSchedule(cfg);
    const x = tf.variable(tf.scalar(0));
    const grads = { [x.name]: tf.scalar(1) };
    // Adam's first steps with a constant gradient move by ≈ lr (m̂/√v̂ = 1).
    setLearningRate(adam, lr(0));
    adam.applyGradients(grads);
    expect(x.dataSync()[0]).toBeCloseTo(-0.1, 5);
    setLearningRate(adam, lr(1));
    expect(getLearningRate(adam)).toBeCloseTo(0.01, 12);
    adam.applyGradients(grads);
    expect(x.dataSync()[0]).toBeCloseTo(-0.11, 5);
    adam.dispose();
    x.dispose();
    grads[x.name].dispose();
  });
});

describe('losses (by hand)', () => {
  it('huber, mse, and importance weights', () => {
    const pred = tf.tensor1d([0, 0, 0]);
    const target = tf.tensor1d([0.5, -2, 3]);
    // |x| = 0.5, 2, 3 with δ = 1: ½·0.25 = 0.125; 1·(2 − ½) = 1.5; 1·(3 − ½) = 2.5
    expect(values(huberLoss(pred, target))).toEqual([0.125, 1.5, 2.5]);
    // δ = 2: ½·0.25, ½·4, 2·(3 − 1) = 0.125, 2, 4
    expect(values(huberLoss(pred, target, 2))).toEqual([0.125, 2, 4]);
    expect(values(mseLoss(pred, target))).toEqual([0.25, 4, 9]);
    expect(tdLoss('huber', pred, target).dataSync()[0]).toBeCloseTo(4.125 / 3, 6);
    // weights 1, 0.5, 0: (0.125 + 0.75 + 0) / 3
    expect(tdLoss('huber', pred, target, tf.tensor1d([1, 0.5, 0])).dataSync()[0]).toBeCloseTo(0.875 / 3, 6);
    expect(tdLoss('mse', pred, target).dataSync()[0]).toBeCloseTo(13.25 / 3, 5);
  });

  it('log loss on logits, stable at large logits', () => {
    const ln3 = Math.log(3);
    // σ(0) = ½, z = 1: −log ½ = 0.693147
    // σ(ln 3) = ¾, z = 1: −log ¾ = 0.287682
    // σ(−ln 3) = ¼, z = ½: −(½ log ¼ + ½ log ¾) = 0.836988
    // x = 100, z = 1: ≈ 0;  x = −100, z = 1: ≈ 100
    const l = values(logLoss(tf.tensor1d([0, ln3, -ln3, 100, -100]), tf.tensor1d([1, 1, 0.5, 1, 1])));
    [0.6931472, 0.2876821, 0.8369882, 0, 100].forEach((v, i) => expect(l[i]).toBeCloseTo(v, 5));
  });
});

describe('TD targets on a fake linear Q', () => {
  // Q(s, a) = W[a] · s, three actions, two next states.
  //   s'1 = [1, 3], s'2 = [2, −1]
  //   online  W  = [[1, 0], [0, 1], [1, 1]]     → Q  = [1, 3, 4], [2, −1, 1]  → a* = 2, 0
  //   target1 W' = [[2, 0], [0, 2], [.5, .5]]   → Q' = [2, 6, 2], [4, −2, .5]
  //   target2 W''= [[1, 1], [0, 1], [0, .5]]    → Q''= [4, 3, 1.5], [1, −1, −.5]
  // r = [1, 0.5], d = [0.9, 0] (the second episode terminated)
  //   DQN:            y = 1 + 0.9·max Q'(s'1) = 1 + 0.9·6 = 6.4;     0.5
  //   double:         y = 1 + 0.9·Q'(s'1, 2)  = 1 + 0.9·2 = 2.8;     0.5
  //   clipped double: y = 1 + 0.9·min(Q'(s'1, 2), Q''(s'1, 2)) = 1 + 0.9·1.5 = 2.35; 0.5
  //   (second row's nextQ: max 4, double 4, clipped min(4, 1) = 1, all times d = 0)
  const sNext = () => tf.tensor2d([[1, 3], [2, -1]]);
  const linearQ = (w: number[][], s: tf.Tensor2D) => tf.matMul(s, tf.tensor2d(w), false, true) as tf.Tensor2D;
  const W = [[1, 0], [0, 1], [1, 1]];
  const W1 = [[2, 0], [0, 2], [0.5, 0.5]];
  const W2 = [[1, 1], [0, 1], [0, 0.5]];
  const r = () => tf.tensor1d([1, 0.5]);
  const d = () => tf.tensor1d([0.9, 0]);

  it('DQN max, double Q, clipped double Q', () => {
    const q = linearQ(W, sNext());
    const q1 = linearQ(W1, sNext());
    const q2 = linearQ(W2, sNext());
    const y = (next: tf.Tensor1D | tf.Tensor1D[]) => values(tdTargets(r(), d(), next));
    expect(values(maxNextQ(q1))).toEqual([6, 4]);
    close(y(maxNextQ(q1)), [6.4, 0.5]);
    close(y(doubleNextQ(q, q1)), [2.8, 0.5]);
    const aStar = tf.argMax(q, 1) as tf.Tensor1D;
    expect(values(aStar)).toEqual([2, 0]);
    const clipped = y([selectQ(q1, aStar), selectQ(q2, aStar)]);
    expect(clipped[0]).toBeCloseTo(2.35, 6);
    expect(clipped[1]).toBe(0.5);
  });

  it('double Q removes the max-of-noise overestimation (van Hasselt 2010)', () => {
    // All true values are 0; the online and target estimates are independent N(0, 1) noise
    // over A = 10 actions. E[max of 10 standard normals] = 1.5388 (the bias DQN's max target
    // adds); evaluating the online argmax with the independent target net has mean 0.
    const rng = new Rng(21);
    const B = 4000;
    const A = 10;
    const noise = () => tf.tensor2d(Float32Array.from({ length: B * A }, () => rng.normal()), [B, A]);
    const online = noise();
    const target = noise();
    const mean = (t: tf.Tensor) => tf.mean(t).dataSync()[0];
    // Standard errors: 0.587/√B = 0.009 for the max, 1/√B = 0.016 for the double estimate.
    expect(Math.abs(mean(maxNextQ(target)) - 1.5388)).toBeLessThan(0.04);
    expect(Math.abs(mean(doubleNextQ(online, target)))).toBeLessThan(0.07);
  });

  it('selectQ picks Q(s, a) of the taken actions', () => {
    expect(values(selectQ(linearQ(W1, sNext()), tf.tensor1d([1, 2], 'int32')))).toEqual([6, 0.5]);
  });
});

describe('gradient clipping by global norm', () => {
  it('scales to the max norm and keeps the direction', () => {
    const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor2d([[4]]) }; // ‖g‖ = √(9 + 16) = 5
    const clipped = clipByGlobalNorm(grads, 1);
    expect(clipped.norm.dataSync()[0]).toBe(5);
    close(values(clipped.grads.a), [0.6, 0]);
    close(values(clipped.grads.b), [0.8]);
    expect(values(clipByGlobalNorm(grads, 10).grads.a)).toEqual([3, 0]); // under the limit: unchanged
    expect(values(clipByGlobalNorm(grads, null).grads.b)).toEqual([4]);
  });
});

describe('target updates', () => {
  it('Polyak with τ = 0.25 and hard copy on tf.Variables', () => {
    const online = [tf.variable(tf.tensor1d([1, 2]))];
    const target = [tf.variable(tf.tensor1d([0, 10]))];
    polyakUpdate(target, online, 0.25); // 0.25·[1, 2] + 0.75·[0, 10] = [0.25, 8]
    expect(values(target[0])).toEqual([0.25, 8]);
    expect(maybeUpdateTarget(3, 2, 1, target, online)).toBe(false);
    expect(values(target[0])).toEqual([0.25, 8]);
    expect(maybeUpdateTarget(4, 2, 1, target, online)).toBe(true);
    expect(values(target[0])).toEqual([1, 2]);
    online[0].assign(tf.tensor1d([5, 5])); // a copy, not an alias
    expect(values(target[0])).toEqual([1, 2]);
  });

  it('shifts a chain of lagged targets, oldest first', () => {
    const online = [tf.variable(tf.tensor1d([1]))];
    const chain = [[tf.variable(tf.tensor1d([0]))], [tf.variable(tf.tensor1d([5]))]];
    shiftLaggedTargets(chain, online); // delayed_2 ← delayed (0), delayed ← online (1)
    expect(chain.map((t) => values(t[0])[0])).toEqual([1, 0]);
    online[0].assign(tf.tensor1d([2]));
    shiftLaggedTargets(chain, online, 0.5); // delayed_2 ← 1; delayed ← 0.5·2 + 0.5·1 = 1.5
    expect(chain.map((t) => values(t[0])[0])).toEqual([1.5, 1]);
  });

  it('hard copy between layers-API models, without leaking tensors', () => {
    const make = () => tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [2] })] });
    const online = make();
    const target = make();
    const before = tf.memory().numTensors;
    hardUpdate(target.weights, online.weights);
    polyakUpdate(target.weights, online.weights, 0.5);
    expect(tf.memory().numTensors).toBe(before);
    online.weights.forEach((w, i) => expect(values(target.weights[i].read())).toEqual(values(w.read())));
    expect(() => hardUpdate(target.weights, online.weights.slice(1))).toThrow(/2 target weights vs 1 online/);
  });
});

describe('config', () => {
  it('has frozen documented defaults and names a bad field', () => {
    expect(Object.isFrozen(DQN_DEFAULTS)).toBe(true);
    expect(DQN_DEFAULTS.loss).toBe('huber');
    expect(() => resolveDqnConfig({ gamma: 1.5 })).toThrow(/^dqn config: gamma: /);
    expect(() => resolveDqnConfig({ batchSize: 0 })).toThrow(/batchSize/);
    expect(() => resolveDqnConfig({ lossKind: 'huber' })).toThrow(/unknown key lossKind/);
    expect(() => resolveDqnConfig({ epsilonSchedule: 'exponential', epsilonEnd: 0 })).toThrow(/epsilonEnd: must be > 0/);
    expect(() => resolveDqnConfig({ loss: 'l1' }, 'run.json')).toThrow(/^run\.json: loss: /);
    expect(resolveDqnConfig({ maxGradNorm: null }).maxGradNorm).toBeNull();
  });
});

describe('ε-greedy', () => {
  it('explores with probability ε and only asks for the greedy action when needed', () => {
    const rng = new Rng(3);
    let greedyCalls = 0;
    const greedy = () => {
      greedyCalls++;
      return 7;
    };
    expect(epsilonGreedy(rng, 0, 10, greedy)).toBe(7);
    for (let i = 0; i < 100; i++) expect(epsilonGreedy(rng, 1, 4, greedy)).toBeLessThan(4);
    expect(greedyCalls).toBe(1);
    let explored = 0;
    const n = 4000;
    for (let i = 0; i < n; i++) if (epsilonGreedy(rng, 0.3, 2, () => 9) !== 9) explored++;
    expect(Math.abs(explored / n - 0.3)).toBeLessThan(4 * Math.sqrt(0.21 / n));
  });
});

describe('continuous exploration', () => {
  const low = Float32Array.from([-1, -1, 0]);
  const high = Float32Array.from([1, 1, 0.5]);

  it('uniformAction fills the box: inside it, each dim spread over its range, mean at the centre', () => {
    const rng = new Rng(4);
    const n = 4000;
    const sum = [0, 0, 0];
    const min = [Infinity, Infinity, Infinity];
    const max = [-Infinity, -Infinity, -Infinity];
    for (let i = 0; i < n; i++) {
      const a = uniformAction(rng, low, high);
      expect(a).toHaveLength(3);
      a.forEach((v, d) => {
        expect(v).toBeGreaterThanOrEqual(low[d]!);
        expect(v).toBeLessThanOrEqual(high[d]!);
        sum[d]! += v;
        min[d] = Math.min(min[d]!, v);
        max[d] = Math.max(max[d]!, v);
      });
    }
    // U[lo, hi): mean (lo + hi)/2, sd (hi − lo)/√12; 5 standard errors.
    for (let d = 0; d < 3; d++) {
      const width = high[d]! - low[d]!;
      expect(Math.abs(sum[d]! / n - (low[d]! + high[d]!) / 2)).toBeLessThan((5 * width) / Math.sqrt(12 * n));
      expect(min[d]! - low[d]!).toBeLessThan(0.01 * width);
      expect(high[d]! - max[d]!).toBeLessThan(0.01 * width);
    }
    // Same seed, same actions.
    expect(Array.from(uniformAction(new Rng(9), low, high))).toEqual(Array.from(uniformAction(new Rng(9), low, high)));
    expect(() => uniformAction(rng, [0, 1], [1, 0])).toThrow(/low\[1\] = 1 is above high\[1\] = 0/);
  });

  it('gaussianNoise: zero-mean noise of the given std per dim, clipped to the box', () => {
    const rng = new Rng(5);
    const centre = [0, 0.5, 0.25];
    const std = [0.1, 0, 0.05];
    const n = 4000;
    const sum = [0, 0, 0];
    const sq = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      const a = gaussianNoise(rng, centre, std, low, high);
      a.forEach((v, d) => {
        sum[d]! += v - centre[d]!;
        sq[d]! += (v - centre[d]!) ** 2;
      });
    }
    expect(Math.abs(sum[0]! / n)).toBeLessThan((5 * 0.1) / Math.sqrt(n));
    expect(Math.sqrt(sq[0]! / n)).toBeCloseTo(0.1, 2);
    expect(sq[1]).toBe(0); // std 0: the action itself
    expect(Math.sqrt(sq[2]! / n)).toBeCloseTo(0.05, 2);
    // Far past the box: clipped to its edges, never beyond.
    const clipped = gaussianNoise(rng, [0.99, -0.99, 0.5], 10, low, high);
    clipped.forEach((v, d) => {
      expect(v).toBeGreaterThanOrEqual(low[d]!);
      expect(v).toBeLessThanOrEqual(high[d]!);
    });
    let atEdge = 0;
    for (let i = 0; i < 200; i++) if (Math.abs(gaussianNoise(rng, [0.99, 0, 0], 10, low, high)[0]!) === 1) atEdge++;
    expect(atEdge).toBeGreaterThan(150); // σ = 10 ≫ the box: almost every draw lands on an edge
    // In place, and the std's validity is checked.
    const inPlace = Float32Array.from(centre);
    expect(gaussianNoise(new Rng(1), inPlace, 0.1, low, high, inPlace)).toBe(inPlace);
    expect(() => gaussianNoise(rng, centre, [0.1, -1, 0], low, high)).toThrow(/std\[1\] = -1 must be >= 0/);
    expect(() => gaussianNoise(rng, [0, 0], 0.1, low, high)).toThrow(/action has 2 dims, the box 3/);
  });

  it('epsilonUniform explores with probability ε and asks for the greedy action only when needed', () => {
    const rng = new Rng(6);
    let greedyCalls = 0;
    const greedy = () => {
      greedyCalls++;
      return Float32Array.from([9, 9, 9]);
    };
    const n = 4000;
    let explored = 0;
    for (let i = 0; i < n; i++) if (epsilonUniform(rng, 0.2, low, high, greedy)[0] !== 9) explored++;
    expect(explored + greedyCalls).toBe(n);
    expect(Math.abs(explored / n - 0.2)).toBeLessThan(4 * Math.sqrt(0.16 / n));
  });
});

describe('diagnostics and metrics', () => {
  it('Q-accuracy: predicted Q(s₀, a₀) vs realized discounted return', () => {
    const acc = new QAccuracy(0.9);
    acc.beginEpisode(2);
    [0, 0, 1].forEach((rew) => acc.addReward(rew)); // 0.9² · 1 = 0.81
    expect(acc.endEpisode().realized).toBeCloseTo(0.81, 12);
    acc.beginEpisode(0.5);
    acc.addReward(1);
    acc.endEpisode();
    // errors 2 − 0.81 = 1.19 and 0.5 − 1 = −0.5
    const s = acc.summary();
    expect(s.episodes).toBe(2);
    expect(s.meanPredicted).toBeCloseTo(1.25, 12);
    expect(s.meanRealized).toBeCloseTo(0.905, 12);
    expect(s.overestimation).toBeCloseTo(0.345, 12);
    expect(s.meanAbsError).toBeCloseTo(0.845, 12);
    expect(discountedReturn([1, 1, 1], 0.5)).toBe(1.75);
  });

  it('writes grouped JSONL lines that parse back', () => {
    expect(metricsLine(3, { 'losses/td_loss': 0.5, 'charts/sps': NaN })).toBe('{"step":3,"losses/td_loss":0.5,"charts/sps":null}');
    expect(() => metricsLine(1, { td_loss: 1 })).toThrow(/group\/name/);
    const dir = mkdtempSync(join(tmpdir(), 'pincer-metrics-'));
    try {
      const path = join(dir, 'run', 'metrics.jsonl');
      const w = new MetricsWriter(path);
      w.write(0, { 'charts/episodic_return': 10 });
      w.write(100, { 'losses/td_loss': 0.25, 'grad/global_norm': 1.5 });
      w.close();
      const rows = parseMetrics(readFileSync(path, 'utf8'), path);
      expect(rows).toEqual([
        { step: 0, 'charts/episodic_return': 10 },
        { step: 100, 'losses/td_loss': 0.25, 'grad/global_norm': 1.5 },
      ]);
      expect(() => parseMetrics('{"step":1}\nnot json\n', 'm.jsonl')).toThrow(/^m\.jsonl:2: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('seeds', () => {
  it('mean ± sample std, min, max over seeds', async () => {
    // mean 2.5; Σ(v − 2.5)² = 5; std = √(5/3) = 1.2909944
    const s = summarize([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.std).toBeCloseTo(1.2909944487, 9);
    expect([s.min, s.max, s.n]).toEqual([1, 4, 4]);
    expect(formatSummary(s)).toBe('2.50 ± 1.29 [1.00, 4.00] (n=4)');
    const { results, summary } = await runSeeds([0, 1, 2], (seed) => ({ ret: new Rng(seed).uniform() }), (r) => r.ret);
    expect(results.map((r) => r.seed)).toEqual([0, 1, 2]);
    expect(summary.mean).toBeCloseTo((results[0].result.ret + results[1].result.ret + results[2].result.ret) / 3, 12);
  });
});
