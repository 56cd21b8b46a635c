/**
 * Checkpoint folders: a save/load round trip (weights, outputs, meta), tfjs's
 * own decoder reading the files (the browser path), atomic replacement, and a
 * one-line CheckpointError for each missing, corrupt or mismatching part.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, decodeCheckpoint } from '../src/qtopt/checkpoint-format.js';
import { configHash, loadCheckpoint, readCheckpointNetwork, restoreLearner, saveCheckpoint } from '../src/qtopt/checkpoint.js';
import { qtoptReplayConfig, QTOPT_DEFAULTS, resolveQtOptConfig } from '../src/qtopt/config.js';
import { QtOptLearner } from '../src/qtopt/learner.js';
import { Rng } from '../src/random/index.js';
import { ReplayBuffer } from '../src/rl/index.js';
import { initBackend, QNetwork, type QNetConfig } from '../src/tf/node.js';

const SMALL: QNetConfig = {
  imageHeight: 16,
  imageWidth: 16,
  imageChannels: 3,
  convs: [
    { filters: 4, kernelSize: 3, stride: 2 },
    { filters: 8, kernelSize: 3, stride: 2 },
  ],
  stateDim: 3,
  actionDim: 6,
  actionUnits: 8,
  headUnits: 8,
};

const META = { step: 1200, envSteps: 34_000, validationSuccess: 0.42, libraryVersion: 'lib-1', configHash: configHash(QTOPT_DEFAULTS) };

let root: string;
beforeAll(async () => {
  await initBackend();
  root = mkdtempSync(join(tmpdir(), 'pincer-ckpt-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function outputs(net: QNetwork): Float32Array {
  return tf.tidy(() => {
    const images = tf.fill([2, 16, 16, 3], 0.4).add(tf.linspace(0, 0.5, 16 * 16 * 3 * 2).reshape([2, 16, 16, 3])) as tf.Tensor4D;
    const state = tf.tensor2d([0.08, 0, 0.1, 0.02, 1, 0.03], [2, 3]);
    const actions = tf.tensor2d([0.1, -0.2, -1, 0.3, 0.5, -1, -0.4, 0.6, 0.2, -0.1, -0.5, 1], [2, 6]);
    return net.logits(images, state, actions).dataSync() as Float32Array;
  });
}

async function saved(name: string, seed = 3): Promise<{ dir: string; net: QNetwork }> {
  const net = new QNetwork(SMALL, seed);
  const dir = join(root, name);
  await saveCheckpoint(dir, net, META);
  return { dir, net };
}

function errorOf(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('checkpoints', () => {
  it('round-trips weights, outputs and meta; leaves no temp folders', async () => {
    const { dir, net } = await saved('round');
    const before = tf.memory().numTensors;
    const { net: loaded, meta } = loadCheckpoint(dir, SMALL);
    expect(meta).toEqual(META);
    const a = net.namedVariables();
    const b = loaded.namedVariables();
    expect(b.map((v) => v.name)).toEqual(a.map((v) => v.name));
    a.forEach((v, i) => expect(Array.from(b[i]!.variable.dataSync())).toEqual(Array.from(v.variable.dataSync())));
    expect(Array.from(outputs(loaded))).toEqual(Array.from(outputs(net)));
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
    expect(readdirSync(root).filter((f) => f.includes('.tmp-') || f.includes('.old-'))).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(['checkpoint.json', 'model.json', 'weights.bin']);
  });

  it('is tfjs’s weights format: tf.io.decodeWeights reads weights.bin by model.json’s manifest', async () => {
    const { dir, net } = await saved('tfjs');
    const model = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(model.weightsManifest[0].paths).toEqual(['weights.bin']);
    const bytes = readFileSync(join(dir, 'weights.bin'));
    const tensors = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), model.weightsManifest[0].weights);
    for (const { name, variable } of net.namedVariables()) {
      expect(Array.from(tensors[name]!.dataSync())).toEqual(Array.from(variable.dataSync()));
    }
    tf.dispose(Object.values(tensors));
    // The fs-free decoder (the viewer's path) builds the same network from the two files' contents.
    const fromBytes = decodeCheckpoint(model, new Uint8Array(bytes));
    expect(Array.from(outputs(fromBytes))).toEqual(Array.from(outputs(net)));
    fromBytes.dispose();
    expect(readCheckpointNetwork(dir)).toEqual({ ...SMALL, ignoredActions: [], features: 'flatten', spatialUnits: 0 });
    net.dispose();
  });

  it('replaces an existing checkpoint folder in one rename', async () => {
    const { dir, net } = await saved('replace', 3);
    const other = new QNetwork(SMALL, 4);
    await saveCheckpoint(dir, other, { ...META, step: 2400 });
    const { net: loaded, meta } = loadCheckpoint(dir);
    expect(meta.step).toBe(2400);
    expect(Array.from(outputs(loaded))).toEqual(Array.from(outputs(other)));
    expect(Array.from(outputs(loaded))).not.toEqual(Array.from(outputs(net)));
    for (const n of [net, other, loaded]) n.dispose();
    expect(readdirSync(root).filter((f) => f.startsWith('replace.'))).toEqual([]);
  });

  it('names the differing network fields when the config does not match', async () => {
    const { dir, net } = await saved('mismatch');
    net.dispose();
    const e = errorOf(() => loadCheckpoint(dir, { ...SMALL, headUnits: 16, convs: [{ filters: 4, kernelSize: 3, stride: 2 }] }));
    expect(e).toBeInstanceOf(CheckpointError);
    expect(e.message).toBe(`${dir}: network config differs from the expected one in convs, headUnits`);
  });

  it('a one-line CheckpointError naming the file for each missing or corrupt part', async () => {
    const cases: [string, (dir: string) => void, RegExp][] = [
      ['gone', (d) => rmSync(d, { recursive: true }), /: no such checkpoint folder$/],
      ['no-model', (d) => rmSync(join(d, 'model.json')), /model\.json: missing$/],
      ['bad-json', (d) => writeFileSync(join(d, 'model.json'), '{"format": "pincer-qn'), /model\.json: not valid JSON$/],
      ['not-ours', (d) => writeFileSync(join(d, 'model.json'), '{"format": "keras"}'), /model\.json: not a pincer checkpoint \(format: /],
      ['no-weights', (d) => rmSync(join(d, 'weights.bin')), /weights\.bin: missing$/],
      ['short-weights', (d) => writeFileSync(join(d, 'weights.bin'), readFileSync(join(d, 'weights.bin')).subarray(0, 100)), /weights\.bin: 100 bytes, the manifest needs \d+$/],
      [
        'flipped-byte',
        (d) => {
          const bytes = readFileSync(join(d, 'weights.bin'));
          bytes[17] ^= 0xff;
          writeFileSync(join(d, 'weights.bin'), bytes);
        },
        /weights\.bin: checksum differs from model\.json's weightsSha256 \(corrupt file\)$/,
      ],
      ['no-meta', (d) => rmSync(join(d, 'checkpoint.json')), /checkpoint\.json: missing$/],
      ['bad-meta', (d) => writeFileSync(join(d, 'checkpoint.json'), '{"step": -1}'), /checkpoint\.json: step: /],
    ];
    for (const [name, damage, message] of cases) {
      const { dir, net } = await saved(name);
      net.dispose();
      damage(dir);
      const e = errorOf(() => loadCheckpoint(dir));
      expect(e, name).toBeInstanceOf(CheckpointError);
      expect(e.message, name).toMatch(message);
      expect(e.message, name).not.toContain('\n');
    }
  });

  it('refuses to save invalid meta, writing nothing', async () => {
    const net = new QNetwork(SMALL, 1);
    const dir = join(root, 'bad-save');
    await expect(saveCheckpoint(dir, net, { ...META, validationSuccess: 2 })).rejects.toThrow(/checkpoint\.json: validationSuccess: /);
    expect(readdirSync(root).filter((f) => f.startsWith('bad-save'))).toEqual([]);
    net.dispose();
  });
});

describe('learner resume', () => {
  const config = resolveQtOptConfig({
    network: SMALL,
    replay: { batchSize: 8 },
    train: { learningStarts: 8 },
    bellman: { targetUpdatePeriod: 3, delayedUpdatePeriod: 2, delayed2UpdatePeriod: 4 },
  });

  function replay(): ReplayBuffer {
    const r = new ReplayBuffer({ ...qtoptReplayConfig(config), capacity: 200 });
    const rng = new Rng(1);
    const obs = () => ({ image: Uint8Array.from({ length: 16 * 16 * 3 }, () => rng.int(0, 255)), vector: [rng.range(0, 0.08), 0, rng.range(0, 0.3)] });
    for (let e = 0; e < 20; e++) {
      for (let t = 0; t < 5; t++) {
        const last = t === 4;
        r.add(obs(), Array.from({ length: 6 }, () => rng.range(-1, 1)), last && rng.bernoulli(0.5) ? 1 : 0, last, false, last ? obs() : undefined);
      }
    }
    return r;
  }

  /** Losses of steps from..to, each on the batch sampled with Rng(step): the same batches in every run. */
  async function train(learner: QtOptLearner, buffer: ReplayBuffer, from: number, to: number): Promise<number[]> {
    const batch = buffer.createBatch(8);
    const losses: number[] = [];
    for (let k = from; k <= to; k++) {
      buffer.sample(new Rng(k), batch);
      losses.push((await learner.step(batch, k)).loss);
    }
    return losses;
  }

  it('continues bit for bit from a checkpoint saved with the learner state; online weights alone do not', async () => {
    const buffer = replay();
    const a = new QtOptLearner(config, 5);
    await train(a, buffer, 1, 9);
    const dir = join(root, 'resume');
    await saveCheckpoint(dir, a.online, { ...META, step: 9 }, { learner: a });
    const uninterrupted = await train(a, buffer, 10, 16);

    const b = new QtOptLearner(config, 5);
    const before = tf.memory().numTensors;
    const meta = await restoreLearner(dir, b);
    expect(tf.memory().numTensors).toBe(before);
    expect(meta.step).toBe(9);
    expect(await train(b, buffer, 10, 16)).toEqual(uninterrupted);

    // startFrom (train.init): online weights into every net, a fresh Adam: a different continuation.
    const c = new QtOptLearner(config, 6);
    const { net: fromDisk } = loadCheckpoint(dir);
    c.startFrom(fromDisk);
    for (const l of [c.online, c.target!, ...c.delayed]) l.variables.forEach((v, i) => expect(v.dataSync()).toEqual(fromDisk.variables[i]!.dataSync()));
    fromDisk.dispose();
    expect(await train(c, buffer, 10, 16)).not.toEqual(uninterrupted);
    for (const l of [a, b, c]) l.dispose();
  });

  it('an averaged net acts: it follows θₐ ← d·θₐ + (1 − d)·θ, leaves the training as it was, and resumes bit for bit', async () => {
    const averaging = resolveQtOptConfig({ ...config, optimizer: { averageDecay: 0.75 } });
    const buffer = replay();
    const plain = new QtOptLearner(config, 5);
    const a = new QtOptLearner(averaging, 5);
    expect(plain.acting).toBe(plain.online);
    const weights = (net: QNetwork) => net.variables.map((v) => Float32Array.from(v.dataSync()));
    const expected = weights(a.online);
    for (let k = 1; k <= 5; k++) {
      expect(await train(a, buffer, k, k)).toEqual(await train(plain, buffer, k, k));
      weights(a.online).forEach((w, i) => {
        expect(w).toEqual(weights(plain.online)[i]);
        expected[i] = expected[i]!.map((e, j) => 0.75 * e + 0.25 * w[j]!);
      });
      weights(a.acting).forEach((w, i) => w.forEach((x, j) => expect(x).toBeCloseTo(expected[i]![j]!, 6)));
    }
    expect(weights(a.acting)[0]).not.toEqual(weights(a.online)[0]);

    const dir = join(root, 'resume-averaged');
    await saveCheckpoint(dir, a.acting, { ...META, step: 5 }, { learner: a });
    const uninterrupted = await train(a, buffer, 6, 10);
    const b = new QtOptLearner(averaging, 5);
    await restoreLearner(dir, b);
    expect(await train(b, buffer, 6, 10)).toEqual(uninterrupted);
    expect(weights(b.acting)).toEqual(weights(a.acting));
    expect(weights(b.online)).toEqual(weights(a.online));
    // A checkpoint of a learner without the average has no online weights apart from its network's.
    const unaveraged = join(root, 'resume-unaveraged');
    await saveCheckpoint(unaveraged, plain.acting, { ...META, step: 5 }, { learner: plain });
    await expect(restoreLearner(unaveraged, b)).rejects.toThrow(/learner state: no online\/conv0\/kernel \(saved with other bellman settings or optimizer\.averageDecay\?\)$/);
    for (const l of [plain, a, b]) l.dispose();
  });

  it('a checkpoint without the learner state, or saved with other target nets, is a one-line CheckpointError', async () => {
    const plain = new QtOptLearner(config, 1);
    const dir = join(root, 'no-state');
    await saveCheckpoint(dir, plain.online, META);
    await expect(restoreLearner(dir, plain)).rejects.toThrow(/learner\.json: missing \(the checkpoint was saved without the learner state\)$/);
    const withState = join(root, 'one-target');
    const single = new QtOptLearner(resolveQtOptConfig({ ...config, bellman: { ...config.bellman, clippedDoubleQ: false, argmaxNet: 'target' } }), 1);
    await train(single, replay(), 1, 2);
    await saveCheckpoint(withState, single.online, META, { learner: single });
    const e = await restoreLearner(withState, plain).catch((err: Error) => err);
    expect(e).toBeInstanceOf(CheckpointError);
    expect((e as Error).message).toMatch(/learner\.json: learner state: no delayed1\/conv0\/kernel \(saved with other bellman settings or optimizer\.averageDecay\?\)$/);
    plain.dispose();
    single.dispose();
  });
});
