/**
 * The native kernels' claimed cores (src/tf/native/conv.cc claimCore / releaseCore,
 * src/tf/native.ts withClaimedCore): while another thread of the process holds a core,
 * this thread's kernels run without their helpers, and give the same bits either way;
 * a claim is given back when its thread goes; and the QT-Opt learner on two threads
 * shares the second core with its Bellman updater that way. Worker threads run
 * compiled code, so this file imports from dist/.
 */
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../src/random/index.js';
import { importBuiltAgent, repo, type BuiltAgent } from './built-cli.js';
import { addNoiseEpisodes } from './qtopt-tiny.js';

let Q: BuiltAgent['Q'];
let R: BuiltAgent['R'];
let T: BuiltAgent['T'];

beforeAll(async () => {
  ({ Q, R, T } = await importBuiltAgent());
  expect(await T.initBackend()).toBe('wasm');
  expect(T.nativeKernelsInUse()).toBe(true);
}, 120_000);

afterEach(() => T.setNativeThreads(1));

/** A worker thread with the addon loaded (the same file, so the same process-wide claims), claiming and releasing on request. */
function claimer(): { worker: Worker; ask: (what: 'claim' | 'release' | 'state') => Promise<{ claimed: number; mine: boolean }> } {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const conv = require(workerData.addon);
     parentPort.on('message', (what) => {
       if (what === 'claim') conv.claimCore();
       if (what === 'release') conv.releaseCore();
       parentPort.postMessage(conv.coreState());
     });`,
    { eval: true, workerData: { addon: join(repo, 'dist/native/pincer-conv.node') } },
  );
  const ask = (what: 'claim' | 'release' | 'state') =>
    new Promise<{ claimed: number; mine: boolean }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.postMessage(what);
    });
  return { worker, ask };
}

/** A pooled conv layer's forward pass and its three gradients, and a product of many units: [out, dx, dw, db, product]. */
function kernels(rng: Rng): () => Float32Array[] {
  const x = tf.tensor(Float32Array.from({ length: 5 * 17 * 17 * 3 }, () => rng.range(-1, 1)), [5, 17, 17, 3]) as tf.Tensor4D;
  const w = tf.tensor(Float32Array.from({ length: 3 * 3 * 3 * 32 }, () => rng.range(-1, 1)), [3, 3, 3, 32]) as tf.Tensor4D;
  const b = tf.tensor(Float32Array.from({ length: 32 }, () => rng.range(-0.5, 0.5)), [32]) as tf.Tensor1D;
  const a = tf.tensor(Float32Array.from({ length: 64 * 256 }, () => rng.range(-1, 1)), [64, 256]) as tf.Tensor2D;
  const m = tf.tensor(Float32Array.from({ length: 256 * 64 }, () => rng.range(-1, 1)), [256, 64]) as tf.Tensor2D;
  const f = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => tf.maxPool(T.conv2dRelu(xi as tf.Tensor4D, wi as tf.Tensor4D, bi as tf.Tensor1D, 1), 2, 2, 'same');
  return () => {
    const outs = tf.tidy(() => [f(x, w, b), ...tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.square(f(xi, wi, bi))))([x, w, b]), tf.matMul(a, m)]);
    const values = outs.map((o) => o.dataSync() as Float32Array);
    tf.dispose(outs);
    return values;
  };
}

describe('a core claimed by another thread', () => {
  it('keeps this thread\'s kernels off their helpers while the claim stands, and back on them after, with the bits of one thread', async () => {
    const run = kernels(new Rng('claimed-core'));
    const one = run();
    T.setNativeThreads(2);
    const { worker, ask } = claimer();
    try {
      expect(await ask('claim')).toMatchObject({ claimed: 1, mine: true });
      const s0 = T.nativeCoreState()!;
      expect(s0).toMatchObject({ claimed: 1, mine: false });
      const beside = run();
      const s1 = T.nativeCoreState()!;
      expect(s1.alone).toBeGreaterThan(s0.alone + 5); // the convolutions' and the product's calls, each on this thread alone
      expect(s1.shared).toBe(s0.shared);

      expect(await ask('release')).toMatchObject({ claimed: 0, mine: false });
      const after = run();
      const s2 = T.nativeCoreState()!;
      expect(s2.shared).toBeGreaterThan(s1.shared + 5);
      expect(s2.alone).toBe(s1.alone);

      // This thread's own claim leaves its helpers at work: the claim is for the others.
      const own = T.withClaimedCore(() => {
        expect(T.nativeCoreState()).toMatchObject({ claimed: 1, mine: true });
        return run();
      });
      const s3 = T.nativeCoreState()!;
      expect(s3).toMatchObject({ claimed: 0, mine: false, alone: s2.alone });
      expect(s3.shared).toBeGreaterThan(s2.shared + 5);

      for (const other of [beside, after, own]) other.forEach((values, i) => expect(values).toEqual(one[i]));
      expect(one[1]!.some((v) => v !== 0)).toBe(true); // dx: the comparison is not of zeros
    } finally {
      await worker.terminate();
    }
  });

  it('is given back when its thread is terminated holding it', async () => {
    const run = kernels(new Rng('terminated'));
    T.setNativeThreads(2);
    const { worker, ask } = claimer();
    expect(await ask('claim')).toMatchObject({ claimed: 1 });
    await worker.terminate();
    expect(T.nativeCoreState()!.claimed).toBe(0);
    const before = T.nativeCoreState()!;
    run();
    expect(T.nativeCoreState()!.shared).toBeGreaterThan(before.shared);
    expect(T.nativeCoreState()!.alone).toBe(before.alone);
  });

  it('withClaimedCore gives the claim back when its work throws', () => {
    expect(() =>
      T.withClaimedCore(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(T.nativeCoreState()).toMatchObject({ claimed: 0, mine: false });
  });
});

describe('the QT-Opt learner on two threads with its Bellman updater', () => {
  const SIDE = 16;
  const config = () =>
    Q.resolveQtOptConfig({
      // 16 filters: convolutions the native kernels take, so the gradient's kernels have helpers to share.
      network: { imageHeight: SIDE, imageWidth: SIDE, convs: [{ filters: 16, kernelSize: 3, stride: 1, pool: 2 }, { filters: 16, kernelSize: 3, stride: 2 }], actionUnits: 16, headUnits: 16 },
      optimizer: { learningRate: 3e-3 },
      bellman: { nStep: 1, targetUpdatePeriod: 6, delayedUpdatePeriod: 6, delayed2UpdatePeriod: 6 },
      cem: { samples: 16, elites: 4 },
      train: { learningStarts: 32 },
    });

  it('runs its gradient\'s kernels alone while the updater computes and on both threads otherwise, with the one-thread learner\'s bits', async () => {
    const c = config();
    const replay = new R.ReplayBuffer({ ...Q.qtoptReplayConfig(c), capacity: 200 });
    addNoiseEpisodes(replay, new Rng(21), SIDE, 60, 2);
    const losses: number[][] = [];
    let counts = { shared: 0, alone: 0 };
    for (const threads of [1, 2]) {
      const learner = new Q.QtOptLearner(c, 7);
      await learner.setThreads(threads);
      const drawn = new Q.DrawnBatches(() => replay.createBatch(32));
      const draws = new Rng(4);
      const start = T.nativeCoreState()!;
      const run: number[] = [];
      for (let k = 1; k <= 14; k++) {
        const { batch, upcoming } = drawn.next(learner.batchesAhead, (b) => replay.sample(draws, b));
        run.push((await learner.step(batch, k, upcoming)).loss);
      }
      const end = T.nativeCoreState()!;
      if (threads === 2) {
        expect(learner.aheadSteps).toBe(11); // steps 1, 7 and 13 compute their own: the target nets change after steps 6 and 12
        counts = { shared: end.shared - start.shared, alone: end.alone - start.alone };
      }
      expect(end.mine).toBe(false);
      losses.push(run);
      // The updater may still be computing targets no step will ask for; stopping it gives its core back.
      await learner.setThreads(1);
      expect(T.nativeCoreState()!.claimed).toBe(0);
      learner.dispose();
    }
    expect(losses[1]).toEqual(losses[0]);
    expect(losses[0]![13]).not.toBe(losses[0]![0]);
    // Some kernel calls ran beside the updater's claim, and some (the steps that compute their own targets at least) on both threads.
    expect(counts.alone).toBeGreaterThan(0);
    expect(counts.shared).toBeGreaterThan(0);
  }, 120_000);
});
