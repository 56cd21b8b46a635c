/**
 * QtOptLearner with train.learnerThreads 2. With the native kernels (here) the
 * kernels run on two threads and the losses, TD errors and weights are the
 * one-thread learner's, bit for bit. Without them (PINCER_NATIVE=0) each gradient
 * is computed over this thread's tfjs-wasm instance and a worker thread's (src/rl
 * DataParallelLearner) and follows the one-thread learner within float rounding.
 * numTensors stays flat, and `pincer train` with 2 learner threads gives the
 * 1-thread loss curve either way. Worker threads run compiled code, so this file
 * imports from dist/.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../src/random/index.js';
import { cli, importBuiltAgent, type BuiltAgent } from './built-cli.js';
import { addNoiseEpisodes, TINY, TINY_SCENE } from './qtopt-tiny.js';

let Q: BuiltAgent['Q'];
let R: BuiltAgent['R'];
let T: BuiltAgent['T'];

const root = mkdtempSync(join(tmpdir(), 'pincer-threads-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  ({ Q, R, T } = await importBuiltAgent());
  await T.initBackend();
}, 120_000);

const SIDE = 16;

function config(learningRate = 3e-3, argmaxNet: 'target' | 'delayed' = 'target', clippedDoubleQ = true) {
  return Q.resolveQtOptConfig({
    network: { imageHeight: SIDE, imageWidth: SIDE, convs: [{ filters: 8, kernelSize: 3, stride: 1, pool: 2 }, { filters: 8, kernelSize: 3, stride: 2 }], actionUnits: 16, headUnits: 16 },
    optimizer: { learningRate },
    bellman: { nStep: 2, targetUpdatePeriod: 4, delayedUpdatePeriod: 4, delayed2UpdatePeriod: 4, dataAction: true, argmaxNet, clippedDoubleQ },
    cem: { samples: 16, elites: 4 },
    replay: { imageShift: 2 },
    train: { learningStarts: 32 },
  });
}

/** Three-step episodes of noise frames; the last pays 1 at random. */
function randomReplay(c: ReturnType<typeof config>) {
  const replay = new R.ReplayBuffer({ ...Q.qtoptReplayConfig(c), capacity: 400 });
  addNoiseEpisodes(replay, new Rng(12), SIDE, 90, 3);
  return replay;
}

describe('QtOptLearner on 2 threads', () => {
  it.each([
    ['target', true],
    ['delayed', true],
    ['target', false],
  ] as const)('gives the 1-thread learner\'s bits over 25 steps, with target updates, shifts, n-step targets and the data\'s next action among the candidates for a* (picked by the %s net; clipped double Q %s), with and without the Bellman updater; numTensors flat', async (argmaxNet, clippedDoubleQ) => {
    expect(T.nativeKernelsInUse()).toBe(true);
    const c = config(3e-3, argmaxNet, clippedDoubleQ);
    const replay = randomReplay(c);
    const runs: { losses: number[]; td: Float32Array[]; weights: Float32Array }[] = [];
    for (const [threads, ahead] of [[1, false], [2, false], [2, true]] as const) {
      const learner = new Q.QtOptLearner(c, 5);
      expect(learner.bellmanNets.argmax).toBe(argmaxNet === 'delayed' ? learner.delayed[0] : learner.target);
      expect(learner.delayed).toHaveLength(clippedDoubleQ ? 2 : 0);
      await learner.setThreads(threads);
      expect(learner.threads).toBe(threads);
      expect(learner.batchesAhead).toBe(threads > 1 ? Q.UPDATER_DEPTH : 0);
      // Drawn early, as pincer train does for the updater.
      const drawn = new Q.DrawnBatches(() => replay.createBatch(32));
      const rng = new Rng(3);
      const losses: number[] = [];
      const td: Float32Array[] = [];
      let tensors = 0;
      const workerTensors: (number | null)[] = [];
      for (let k = 1; k <= 25; k++) {
        const { batch, upcoming } = drawn.next(ahead ? learner.batchesAhead : 0, (b) => replay.sample(rng, b));
        const stats = await learner.step(batch, k, upcoming);
        losses.push(stats.loss);
        td.push(stats.tdErrors);
        if (k === 2) tensors = tf.memory().numTensors; // after Adam's slots exist
        if (k > 2) workerTensors.push(learner.updaterTensors);
      }
      expect(tf.memory().numTensors).toBe(tensors);
      // Target nets change after every 4th step, so those steps cannot take the next batch's targets ahead.
      expect(learner.aheadSteps).toBe(ahead ? 18 : 0);
      if (ahead) expect(new Set(workerTensors).size).toBe(1);
      runs.push({ losses, td, weights: R.flatWeights(learner.online.variables) });
      await learner.setThreads(1);
      expect(learner.batchesAhead).toBe(0);
      learner.dispose();
    }
    const [one, two, updater] = runs as [(typeof runs)[0], (typeof runs)[0], (typeof runs)[0]];
    for (const other of [two, updater]) {
      expect(other.losses).toEqual(one.losses);
      expect(other.td).toEqual(one.td);
      expect(other.weights).toEqual(one.weights);
    }
    expect(one.losses[24]).not.toBe(one.losses[0]); // it learned something: the comparison is not of constants
  });

  it('pincer train with learnerThreads 2 (offline, then online inline) gives the 1-thread loss curve, with and without the native kernels', () => {
    const scene = join(root, 'scene.json');
    writeFileSync(scene, JSON.stringify(TINY_SCENE));
    const data = join(root, 'data');
    const collected = cli(['collect', '--policy', 'scripted+noise:0.3', '--episodes', '12', '--out', data, '--scene', scene, '--split', 'train', '--seed', '4', '--workers', '1']);
    expect(collected.status, collected.stderr).toBe(0);
    const curves: number[][] = [];
    for (const [threads, native] of [[1, '1'], [2, '1'], [2, '0']] as const) {
      const file = join(root, `threads-${threads}.json`);
      writeFileSync(file, JSON.stringify({ ...TINY, train: { ...TINY.train, offlineSteps: 40, onlineSteps: 20, evalPeriod: 0, learnerThreads: threads } }));
      const out = join(root, `run-${threads}-${native}`);
      const r = cli(['train', '--out', out, '--config', file, '--scene', scene, '--dataset', data, '--seed', '2', '--json'], { PINCER_NATIVE: native });
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).steps).toBe(60);
      const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, number>);
      const logged = rows.filter((m) => m['losses/td_loss'] !== undefined);
      expect(new Set(logged.map((m) => m['perf/learner_threads']))).toEqual(new Set([threads]));
      // The offline phase's targets came from the Bellman updater on the native kernels' two threads.
      const ahead = logged.find((m) => m.step === 40)!['perf/bellman_updater_steps']!;
      if (threads === 2 && native === '1') expect(ahead).toBeGreaterThan(20);
      else expect(ahead).toBe(0);
      curves.push(logged.filter((m) => m.step <= 40).map((m) => m['losses/td_loss']!));
    }
    expect(curves[0]!.length).toBe(4);
    expect(curves[1]).toEqual(curves[0]); // native kernels on two threads
    // Data-parallel wasm instances; the native kernels' sums differ from wasm's in rounding too.
    for (let i = 0; i < curves[0]!.length; i++) expect(Math.abs(curves[2]![i]! - curves[0]![i]!)).toBeLessThan(1e-3 * Math.max(1, curves[0]![i]!));
  }, 120_000);
});
