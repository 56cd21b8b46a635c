/**
 * DataParallelLearner: the batch split over this thread's tfjs-wasm instance and a
 * worker thread's gives the one-thread gradient (within 1e-4), the same loss curve,
 * and leaks no tensors in either instance. The worker runs compiled code, so this
 * file imports src/rl and src/tf from dist/ (rebuilt here when src is newer).
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../src/random/index.js';
import { ensureBuilt, repo } from './built-cli.js';
import { SMALL } from './qnet-small.js';

type Tf = typeof import('../src/tf/node.js');
type Rl = typeof import('../src/rl/node.js');
let T: Tf;
let R: Rl;

beforeAll(async () => {
  ensureBuilt('dist/rl/data-parallel-worker.js', ['src/rl', 'src/tf']);
  T = (await import(join(repo, 'dist/tf/node.js'))) as Tf;
  R = (await import(join(repo, 'dist/rl/node.js'))) as Rl;
  await T.initBackend();
}, 120_000);


function values(rng: Rng, n: number, lo: number, hi: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.range(lo, hi));
}

/** A batch of B uint8 frames (as replay stores them), actions, targets and importance weights. */
function hostBatch(rng: Rng, b: number, config = SMALL) {
  const pixels = b * config.imageHeight * config.imageWidth * config.imageChannels;
  return {
    images: Uint8Array.from({ length: pixels }, () => Math.floor(rng.range(0, 256))),
    state: values(rng, b * config.stateDim, 0, 1),
    actions: values(rng, b * config.actionDim, -1, 1),
    targets: values(rng, b, 0, 1),
    weights: values(rng, b, 0.2, 1),
  };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('DataParallelLearner', () => {
  it.each(['huber', 'log'] as const)('2 threads, equal or uneven shards, give the 1-thread gradient within 1e-4 (%s loss, odd batch 33, importance weights)', async (loss) => {
    const rng = new Rng(loss === 'huber' ? 21 : 22);
    const batch = hostBatch(rng, 33);
    const config = { loss, huberDelta: 1, maxGradNorm: null };
    const deltas: Float32Array[] = [];
    const losses: number[] = [];
    // One thread; two with equal shards; two with this thread taking 8 of the 33 rows.
    for (const [threads, ownRows] of [[1, undefined], [2, undefined], [2, 8]] as const) {
      const net = new T.QNetwork(SMALL, 7);
      const before = R.flatWeights(net.variables);
      const learner = await R.DataParallelLearner.start(net, threads);
      // SGD with step 1: the weight change is exactly −gradient.
      const sgd = tf.train.sgd(1);
      const result = await learner.step(sgd, batch, config, { ownRows });
      await learner.close();
      const after = R.flatWeights(net.variables);
      deltas.push(before.map((w, i) => w - after[i]!));
      losses.push(result.loss);
      expect(result.tdErrors.length).toBe(33);
      net.dispose();
    }
    for (const i of [1, 2]) {
      expect(maxAbsDiff(deltas[0]!, deltas[i]!)).toBeLessThan(1e-4);
      expect(losses[i]).toBeCloseTo(losses[0]!, 5);
    }
    expect(Math.max(...deltas[0]!.map(Math.abs))).toBeGreaterThan(1e-3); // a real gradient, not zeros
  });

  it('the conservative penalty: by hand from the head\'s logits, and 2 threads give the 1-thread gradient within 1e-4', async () => {
    const rng = new Rng(26);
    const k = 4;
    const batch = { ...hostBatch(rng, 9), conservativeActions: values(rng, 9 * k * SMALL.actionDim, -1, 1) };
    const config = { loss: 'log' as const, huberDelta: 1, maxGradNorm: null, conservativeWeight: 0.5 };
    // α · mean_b [log(Σ_k e^{z_bk} + e^{z_b}) − z_b], z the logits of the net before the step.
    const net0 = new T.QNetwork(SMALL, 4);
    const expected = tf.tidy(() => {
      const x = tf.div(tf.cast(tf.tensor4d(batch.images, [9, 16, 16, 3], 'int32'), 'float32'), 255) as tf.Tensor4D;
      const e = net0.encode(x, tf.tensor2d(batch.state, [9, 3]));
      const data = net0.head(e, tf.tensor2d(batch.actions, [9, 6])).arraySync();
      const sampled = net0.head(e, tf.tensor2d(batch.conservativeActions, [9 * k, 6])).arraySync();
      let sum = 0;
      for (let b = 0; b < 9; b++) {
        const all = [...sampled.slice(b * k, b * k + k), data[b]!];
        sum += Math.log(all.reduce((acc, z) => acc + Math.exp(z), 0)) - data[b]!;
      }
      return (0.5 * sum) / 9;
    });
    net0.dispose();
    const deltas: Float32Array[] = [];
    const results = [];
    for (const threads of [1, 2]) {
      const net = new T.QNetwork(SMALL, 4);
      const before = R.flatWeights(net.variables);
      const learner = await R.DataParallelLearner.start(net, threads);
      results.push(await learner.step(tf.train.sgd(1), batch, config, { ownRows: threads === 2 ? 4 : undefined }));
      await learner.close();
      const after = R.flatWeights(net.variables);
      deltas.push(before.map((w, i) => w - after[i]!));
      net.dispose();
    }
    expect(results[0]!.penalty).toBeCloseTo(expected, 5);
    expect(results[1]!.penalty).toBeCloseTo(expected, 5);
    expect(results[1]!.loss).toBeCloseTo(results[0]!.loss, 5);
    expect(maxAbsDiff(deltas[0]!, deltas[1]!)).toBeLessThan(1e-4);
    // Without the weight the same batch takes another step: the penalty's gradient is real.
    const net = new T.QNetwork(SMALL, 4);
    const before = R.flatWeights(net.variables);
    const plain = await R.DataParallelLearner.start(net, 1);
    const result = await plain.step(tf.train.sgd(1), batch, { ...config, conservativeWeight: 0 });
    await plain.close();
    const after = R.flatWeights(net.variables);
    expect(result.penalty).toBe(0);
    expect(result.loss).toBeCloseTo(results[0]!.loss, 5);
    expect(maxAbsDiff(deltas[0]!, before.map((w, i) => w - after[i]!))).toBeGreaterThan(1e-4);
    net.dispose();
  });

  it('matches learnerStep on this thread (the reference step) and gives the same loss curve over 40 Adam steps', async () => {
    const rng = new Rng(23);
    const batch = { ...hostBatch(rng, 32), weights: null };
    const curves: number[][] = [];
    for (const threads of [1, 2]) {
      const net = new T.QNetwork(SMALL, 3);
      const learner = await R.DataParallelLearner.start(net, threads);
      const adam = new T.JsAdam({ learningRate: 3e-3 });
      const curve: number[] = [];
      for (let i = 0; i < 40; i++) curve.push((await learner.step(adam, batch, { loss: 'huber', huberDelta: 1, maxGradNorm: 10 })).loss);
      await learner.close();
      curves.push(curve);
      net.dispose();
    }
    // The one-thread tensor path: learnerStep itself, same net, same 40 steps.
    const net = new T.QNetwork(SMALL, 3);
    const adam = new T.JsAdam({ learningRate: 3e-3 });
    const reference: number[] = [];
    const x = tf.div(tf.cast(tf.tensor4d(batch.images, [32, 16, 16, 3], 'int32'), 'float32'), 255) as tf.Tensor4D;
    const s = tf.tensor2d(batch.state, [32, 3]);
    const a = tf.tensor2d(batch.actions, [32, 6]);
    const y = tf.tensor1d(batch.targets);
    const step = { loss: 'huber' as const, huberDelta: 1, maxGradNorm: 10, output: 'logit' as const };
    for (let i = 0; i < 40; i++) reference.push(R.learnerStep(net.variables, adam, () => net.logits(x, s, a), y, null, step).loss);
    tf.dispose([x, s, a, y]);
    net.dispose();
    const first = reference[0]!;
    for (let i = 0; i < 40; i++) expect(Math.abs(curves[0]![i]! - reference[i]!)).toBeLessThan(1e-3 * Math.max(1, reference[i]!));
    expect(curves[0]![0]).toBeCloseTo(first, 6);
    expect(curves[0]![39]).toBeLessThan(curves[0]![0]! * 0.7);
    for (let i = 0; i < 40; i++) expect(Math.abs(curves[1]![i]! - curves[0]![i]!)).toBeLessThan(1e-3 * Math.max(1, curves[0]![i]!));
  });

  it('fills this thread\'s rows late: beforeOwnShard runs after the workers have their shards, and its targets count', async () => {
    const rng = new Rng(25);
    const batch = hostBatch(rng, 12);
    const late = Float32Array.from(batch.targets);
    batch.targets.fill(NaN, 0, 4); // this thread's 4 rows: not known when the step starts
    const deltas: Float32Array[] = [];
    for (const prepared of [{ ...batch, targets: late }, batch]) {
      const net = new T.QNetwork(SMALL, 9);
      const before = R.flatWeights(net.variables);
      const learner = await R.DataParallelLearner.start(net, 2);
      // The hook also overwrites the workers' rows: that must come too late to change their shards.
      const hook = () => {
        batch.targets.set(late.subarray(0, 4));
        batch.targets.fill(0.5, 4);
      };
      const options = prepared === batch ? { ownRows: 4, beforeOwnShard: hook } : { ownRows: 4 };
      await learner.step(tf.train.sgd(1), prepared, { loss: 'log', huberDelta: 1, maxGradNorm: null }, options);
      await learner.close();
      const after = R.flatWeights(net.variables);
      deltas.push(before.map((w, i) => w - after[i]!));
      net.dispose();
    }
    expect(maxAbsDiff(deltas[0]!, deltas[1]!)).toBe(0);
    await expect(
      (async () => {
        const net = new T.QNetwork(SMALL, 9);
        const learner = await R.DataParallelLearner.start(net, 2);
        try {
          return await learner.step(tf.train.sgd(1), batch, { loss: 'log', huberDelta: 1, maxGradNorm: null }, { ownRows: 12 });
        } finally {
          await learner.close();
          net.dispose();
        }
      })(),
    ).rejects.toThrow(/ownRows must leave every one of 2 threads at least one of 12 rows, got 12/);
  });

  it('keeps numTensors flat in this thread and in the worker over 150 steps', async () => {
    const rng = new Rng(24);
    const batch = hostBatch(rng, 32);
    const net = new T.QNetwork(SMALL, 5);
    const learner = await R.DataParallelLearner.start(net, 2);
    const adam = new T.JsAdam();
    const config = { loss: 'huber' as const, huberDelta: 1, maxGradNorm: 10 };
    const warm = await learner.step(adam, batch, config); // Adam's slots
    const before = tf.memory().numTensors;
    let last = warm;
    for (let i = 0; i < 150; i++) last = await learner.step(adam, batch, config);
    expect(tf.memory().numTensors).toBe(before);
    expect(last.workerTensors).toEqual(warm.workerTensors);
    await learner.close();
    net.dispose();
  });
});
