/**
 * The grasp Q-network: the reference size, the state input, stable variable
 * names, encoder-once/head-many scoring against the plain forward pass, seeded
 * determinism, learning on a fixed batch through src/rl's learnerStep, and no
 * tensor leaks over many steps.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../src/random/index.js';
import { ACTION_DIM } from '../src/env/index.js';
import { hardUpdate, learnerStep, type LearnerStepConfig } from '../src/rl/index.js';
import { SMALL } from './qnet-small.js';
import { describeConvs, featureSize, initBackend, JsAdam, QNetwork, REFERENCE_QNET, REFERENCE_QNET_PARAMS, type QNetConfig } from '../src/tf/node.js';
import { cameraClipRows, projectToPixel } from '../src/render/index.js';
import { defaultScene } from '../src/scene/index.js';

/** The reference net with the palm's x, y as state and a lookup through the default scene's camera (x, y enter in dm). */
const LOOKUP_QNET: QNetConfig = {
  ...REFERENCE_QNET,
  stateDim: 6,
  lookup: { channels: 4, layers: [0, 2], camera: cameraClipRows(defaultScene().camera), moveScale: 0.05, positionUnit: 0.1 },
};

beforeAll(async () => {
  await initBackend();
});


const HUBER_ON_Q: LearnerStepConfig = { loss: 'huber', huberDelta: 1, maxGradNorm: null, output: 'logit' };

function uniform(rng: Rng, shape: number[], lo: number, hi: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.range(lo, hi)), shape);
}

/** One network of each kind the head can have: the tests that must hold for all of them take this list. */
const NETWORK_KINDS: [string, QNetConfig][] = [
  ['the reference net', REFERENCE_QNET],
  ['a keypoint net with a spatial head', { ...REFERENCE_QNET, features: 'both', spatialUnits: 8 }],
  ['a lookup net', LOOKUP_QNET],
  ['a lookup net with grasp points', { ...LOOKUP_QNET, lookup: { ...LOOKUP_QNET.lookup!, points: [[0.04, 0], [-0.04, 0], [0, 0.03]], yawScale: Math.PI / 8 } }],
];

describe('QNetwork', () => {
  it('reference network: 156,865 parameters, 2048 conv features, the env’s 6-d action and a 3-d state', () => {
    const net = new QNetwork(REFERENCE_QNET, 0);
    // conv 5·5·3·32+32 + 2·(3·3·32·32+32) + action 6·64+64 + head (2048+3+64)·64+64 + out 64+1
    expect(REFERENCE_QNET_PARAMS).toBe(2432 + 2 * 9248 + 448 + 135424 + 65);
    expect(net.paramCount).toBe(REFERENCE_QNET_PARAMS);
    expect(featureSize(REFERENCE_QNET)).toBe(8 * 8 * 32);
    expect(REFERENCE_QNET.actionDim).toBe(ACTION_DIM);
    expect(REFERENCE_QNET.stateDim).toBe(3);
    net.dispose();
  });

  it('names its variables the same in every network, in the order of `variables`', () => {
    const a = new QNetwork(SMALL, 0);
    const b = new QNetwork(SMALL, 1); // a later network: a different process counter
    const names = a.namedVariables().map((n) => n.name);
    expect(names).toEqual([
      'conv0/kernel',
      'conv0/bias',
      'conv1/kernel',
      'conv1/bias',
      'action/kernel',
      'action/bias',
      'head/image_kernel',
      'head/state_kernel',
      'head/action_kernel',
      'head/bias',
      'out/kernel',
      'out/bias',
    ]);
    expect(b.namedVariables().map((n) => n.name)).toEqual(names);
    expect(a.namedVariables().map((n) => n.variable)).toEqual(a.variables);
    // tfjs's own names must still differ (they are unique per process).
    expect(a.variables[0]!.name).not.toBe(b.variables[0]!.name);
    const stateless = new QNetwork({ ...SMALL, stateDim: 0 }, 0);
    expect(stateless.namedVariables().map((n) => n.name)).toEqual(names.filter((n) => n !== 'head/state_kernel'));
    expect(stateless.paramCount).toBe(a.paramCount - 3 * SMALL.headUnits);
    for (const net of [a, b, stateless]) net.dispose();
  });

  it('keypoints: a spatial softmax per channel finds a bright spot, adds 2 features per channel and the gain', () => {
    // One 1×1 conv whose only channel reads red: its map is the red plane, so the keypoint is the red pixel's centre.
    const config = { ...SMALL, convs: [{ filters: 1, kernelSize: 1, stride: 1 }], features: 'keypoints' as const };
    const net = new QNetwork(config, 0);
    expect(featureSize(config)).toBe(2);
    expect(featureSize({ ...config, features: 'both' })).toBe(16 * 16 + 2);
    expect(net.namedVariables().map((n) => n.name)).toContain('keypoints/gain');
    const named = new Map(net.namedVariables().map((n) => [n.name, n.variable]));
    named.get('conv0/kernel')!.assign(tf.tensor4d([20, 0, 0], [1, 1, 3, 1]));
    named.get('conv0/bias')!.assign(tf.zeros([1]));
    const pixels = new Float32Array(16 * 16 * 3);
    pixels[(3 * 16 + 12) * 3] = 1; // row 3, column 12
    const images = tf.tensor4d(pixels, [1, 16, 16, 3]);
    const [x, y] = net.keypoints(images).dataSync();
    expect(x).toBeCloseTo((12.5 / 16) * 2 - 1, 2);
    expect(y).toBeCloseTo((3.5 / 16) * 2 - 1, 2);
    // The flatten-only network has no keypoints to show.
    const flat = new QNetwork(SMALL, 0);
    expect(() => flat.keypoints(images)).toThrow(/features are 'flatten'/);
    // Gradients reach the gain and the convs through the softmax.
    const both = new QNetwork({ ...SMALL, features: 'both' }, 1);
    const rng = new Rng(2);
    const batch = uniform(rng, [4, 16, 16, 3], 0, 1) as tf.Tensor4D;
    const state = uniform(rng, [4, 3], 0, 0.2) as tf.Tensor2D;
    const actions = uniform(rng, [4, 6], -1, 1) as tf.Tensor2D;
    const { grads } = tf.variableGrads(() => tf.sum(both.logits(batch, state, actions)) as tf.Scalar, both.variables);
    const gain = both.namedVariables().find((n) => n.name === 'keypoints/gain')!.variable;
    expect(Math.abs(grads[gain.name]!.dataSync()[0]!)).toBeGreaterThan(0);
    tf.dispose([images, batch, state, actions, ...Object.values(grads)]);
    for (const n of [net, flat, both]) n.dispose();
  });


  it('pool: a max over each window after the ReLU, sized into the head, rejected when not a positive integer', () => {
    // One 1×1 conv reading red, pooled 4×4: the 16×16 red plane becomes its 4×4 window maxima.
    const config = { ...SMALL, convs: [{ filters: 1, kernelSize: 1, stride: 1, pool: 4 }] };
    expect(featureSize(config)).toBe(4 * 4);
    expect(describeConvs([...SMALL.convs, ...config.convs])).toBe('8@3x3/2,8@3x3/2,1@1x1/1+pool4');
    const net = new QNetwork(config, 0);
    const named = new Map(net.namedVariables().map((n) => [n.name, n.variable]));
    expect(named.get('head/image_kernel')!.shape).toEqual([16, SMALL.headUnits]);
    named.get('conv0/kernel')!.assign(tf.tensor4d([1, 0, 0], [1, 1, 3, 1]));
    named.get('conv0/bias')!.assign(tf.zeros([1]));
    // Unpooled, the same image gives a different embedding: the pooled map is what the head reads.
    const pixels = new Float32Array(16 * 16 * 3);
    pixels[(5 * 16 + 9) * 3] = 0.7; // row 5, column 9: window (1, 2)
    pixels[(6 * 16 + 10) * 3] = 0.2; // the same window, smaller
    const images = tf.tensor4d(pixels, [1, 16, 16, 3]);
    const weight = new Float32Array(16 * SMALL.headUnits);
    weight[(1 * 4 + 2) * SMALL.headUnits] = 1; // unit 0 reads window (1, 2) only
    named.get('head/image_kernel')!.assign(tf.tensor2d(weight, [16, SMALL.headUnits]));
    named.get('head/state_kernel')!.assign(tf.zeros([3, SMALL.headUnits]));
    named.get('head/bias')!.assign(tf.zeros([SMALL.headUnits]));
    const embedding = net.encode(images, tf.zeros([1, 3]) as tf.Tensor2D);
    expect(embedding.dataSync()[0]).toBeCloseTo(0.7, 5);
    expect(() => new QNetwork({ ...SMALL, convs: [{ filters: 1, kernelSize: 1, stride: 1, pool: 0 }] }, 0)).toThrow(/convs\[0\]\.pool/);
    expect(() => new QNetwork({ ...SMALL, convs: [{ filters: 1, kernelSize: 1, stride: 1, pool: 1.5 }] }, 0)).toThrow(/convs\[0\]\.pool/);
    // features 'max': one value per channel, the map's maximum wherever it is.
    const maxConfig = { ...SMALL, convs: [{ filters: 1, kernelSize: 1, stride: 1 }], features: 'max' as const };
    expect(featureSize(maxConfig)).toBe(1);
    const maxNet = new QNetwork(maxConfig, 0);
    const maxNamed = new Map(maxNet.namedVariables().map((n) => [n.name, n.variable]));
    maxNamed.get('conv0/kernel')!.assign(tf.tensor4d([1, 0, 0], [1, 1, 3, 1]));
    maxNamed.get('conv0/bias')!.assign(tf.zeros([1]));
    maxNamed.get('head/image_kernel')!.assign(tf.oneHot([0], SMALL.headUnits).toFloat());
    maxNamed.get('head/state_kernel')!.assign(tf.zeros([3, SMALL.headUnits]));
    const maxEmbedding = maxNet.encode(images, tf.zeros([1, 3]) as tf.Tensor2D);
    expect(maxEmbedding.dataSync()[0]).toBeCloseTo(0.7, 5);
    tf.dispose([images, embedding, maxEmbedding]);
    for (const n of [net, maxNet]) n.dispose();
  });
  it('the gripper state changes Q, and is required when stateDim > 0', () => {
    const rng = new Rng(6);
    const net = new QNetwork(SMALL, 6);
    const images = uniform(rng, [2, 16, 16, 3], 0, 1) as tf.Tensor4D;
    const actions = uniform(rng, [2, 6], -1, 1) as tf.Tensor2D;
    const open = tf.tensor2d([0.08, 0, 0.2, 0.08, 0, 0.2], [2, 3]);
    const closed = tf.tensor2d([0.01, 1, 0.02, 0.01, 1, 0.02], [2, 3]);
    const qOpen = net.predict(images, open, actions).dataSync();
    const qClosed = net.predict(images, closed, actions).dataSync();
    expect(Math.abs(qOpen[0]! - qClosed[0]!)).toBeGreaterThan(1e-4);
    expect(() => net.encode(images, null)).toThrow(/state must be \[2, 3\]/);
    expect(() => net.encode(images, tf.zeros([2, 2]) as tf.Tensor2D)).toThrow(/state must be \[2, 3\], got \[2, 2\]/);
    tf.dispose([images, actions, open, closed]);
    net.dispose();
  });

  it.each(NETWORK_KINDS)('scores N actions per image (encoder once) exactly as the full forward pass on tiled images and states: %s', (_name, config: QNetConfig) => {
    const rng = new Rng(1);
    const net = new QNetwork(config, 3);
    const b = 2;
    const n = 64;
    const images = uniform(rng, [b, 64, 64, 3], 0, 1) as tf.Tensor4D;
    const s0 = config.stateDim;
    const state = uniform(rng, [b, s0], -1, 1) as tf.Tensor2D;
    const actions = uniform(rng, [b * n, ACTION_DIM], -1, 1) as tf.Tensor2D;
    const scored = net.scoreActions(images, state, actions); // [B, N]
    const tiled = tf.tidy(() => tf.reshape(tf.tile(tf.reshape(images, [b, 1, 64, 64, 3]), [1, n, 1, 1, 1]), [b * n, 64, 64, 3])) as tf.Tensor4D;
    const tiledState = tf.tidy(() => tf.reshape(tf.tile(tf.reshape(state, [b, 1, s0]), [1, n, 1]), [b * n, s0])) as tf.Tensor2D;
    const full = net.predict(tiled, tiledState, actions); // [B·N]
    expect(scored.shape).toEqual([b, n]);
    const s = scored.dataSync();
    const f = full.dataSync();
    let maxDiff = 0;
    for (let i = 0; i < f.length; i++) maxDiff = Math.max(maxDiff, Math.abs(s[i]! - f[i]!));
    expect(maxDiff).toBeLessThan(1e-5);
    // The scores are not all the same value: the check above has something to compare.
    expect(Math.max(...s) - Math.min(...s)).toBeGreaterThan(1e-4);
    tf.dispose([scored, tiled, tiledState, full, images, state, actions]);
    net.dispose();
  });

  it.each(NETWORK_KINDS)('leaves no tensor behind once disposed (checkpoints and collectors build nets again and again): %s', (_name, config: QNetConfig) => {
    const before = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) new QNetwork(config, k).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('spatial head: its weights, its per-cell part of the embedding, and gradients into it', () => {
    const config = { ...SMALL, features: 'keypoints' as const, spatialUnits: 4 };
    const net = new QNetwork(config, 4);
    // SMALL's map is 4×4×8: keypoints F = 16; spatial layer (8 + 2 + 16 + 3 + 16)·4 + bias 4 + out 4.
    const base = new QNetwork({ ...SMALL, features: 'keypoints' }, 4);
    expect(net.paramCount - base.paramCount).toBe((8 + 2 + 16 + 3 + 16) * 4 + 4 + 4);
    expect(() => new QNetwork({ ...SMALL, spatialUnits: 4 }, 0)).toThrow(/spatialUnits needs features 'keypoints' or 'both'/);
    const rng = new Rng(5);
    const images = uniform(rng, [3, 16, 16, 3], 0, 1) as tf.Tensor4D;
    const state = uniform(rng, [3, 3], 0, 0.2) as tf.Tensor2D;
    const actions = uniform(rng, [3, 6], -1, 1) as tf.Tensor2D;
    const embedding = net.encode(images, state);
    expect(embedding.shape).toEqual([3, SMALL.headUnits + 16 * 4]);
    const { grads } = tf.variableGrads(() => tf.sum(net.logits(images, state, actions)) as tf.Scalar, net.variables);
    for (const { name, variable } of net.namedVariables().filter((v) => v.name.startsWith('spatial/'))) {
      expect(Math.max(...Array.from(grads[variable.name]!.dataSync()).map(Math.abs)), name).toBeGreaterThan(0);
    }
    tf.dispose([images, state, actions, embedding, ...Object.values(grads)]);
    net.dispose();
    base.dispose();
  });

  it('lookup: the pixel an action leads to is the camera\'s, and Q reads the image there', () => {
    const scene = defaultScene();
    const net = new QNetwork(LOOKUP_QNET, 7);
    // State in network units: x, y in dm (index 3, 4); actions' dx, dy move 5 cm per unit.
    const rng = new Rng(8);
    const palms = [[0, 0], [0.1, -0.12], [-0.18, 0.15]];
    const state = tf.tensor2d(palms.flatMap(([x, y]) => [0.8, 0, 1.5, x! * 10, y! * 10, 0.3]), [3, 6]);
    const moves = Array.from({ length: 3 * 4 }, () => [rng.range(-1, 1), rng.range(-1, 1)]);
    const actions = tf.tensor2d(moves.flatMap(([dx, dy]) => [dx!, dy!, -1, 0, 0, 0]), [12, 6]);
    const pixels = net.lookupPixels(state, actions).arraySync();
    moves.forEach(([dx, dy], r) => {
      const [x, y] = palms[Math.floor(r / 4)]!;
      const [u, v] = projectToPixel(scene, [x! + dx! * 0.05, y! + dy! * 0.05, 0]);
      expect(pixels[r]![0]).toBeCloseTo(u, 3);
      expect(pixels[r]![1]).toBeCloseTo(v, 3);
    });
    // A lookup of the first layer alone, with the head's image and action paths zeroed: Q of an
    // action changes with a bright patch where the action leads and not with one 12 px away.
    const local = new QNetwork({ ...LOOKUP_QNET, lookup: { ...LOOKUP_QNET.lookup!, layers: [0] } }, 9);
    for (const { name, variable } of local.namedVariables()) {
      if (name === 'head/image_kernel' || name === 'head/action_kernel') variable.assign(tf.zerosLike(variable));
    }
    const palm = tf.tensor2d([[0.8, 0, 1.5, 0, 0, 0]]);
    const onPatch = tf.tensor2d([[0.6, -0.4, -1, 0, 0, 0]]);
    const [[pu, pv]] = local.lookupPixels(palm, onPatch).arraySync() as [[number, number]];
    const gray = new Float32Array(64 * 64 * 3).fill(0.4);
    const patched = gray.slice();
    for (let y = Math.floor(pv - 2); y <= Math.ceil(pv + 2); y++) {
      for (let x = Math.floor(pu - 2); x <= Math.ceil(pu + 2); x++) patched.fill(0.95, (y * 64 + x) * 3, (y * 64 + x) * 3 + 3);
    }
    const q = (image: Float32Array, action: tf.Tensor2D) => local.logits(tf.tensor4d(image, [1, 64, 64, 3]), palm, action).dataSync()[0]!;
    const offPatch = tf.tensor2d([[0.6 - 12 / 4.2, -0.4, -1, 0, 0, 0]]); // ~4.2 px per unit of dx near the centre
    expect(Math.abs(q(patched, onPatch) - q(gray, onPatch))).toBeGreaterThan(1e-3);
    expect(q(patched, offPatch)).toBe(q(gray, offPatch));
    expect(() => new QNetwork({ ...LOOKUP_QNET, stateDim: 3 }, 0)).toThrow(/lookup needs stateDim 6/);
    expect(() => new QNetwork({ ...LOOKUP_QNET, lookup: { ...LOOKUP_QNET.lookup!, camera: null } }, 0)).toThrow(/filled in from the scene/);
    tf.dispose([state, actions, palm, onPatch, offPatch]);
    net.dispose();
    local.dispose();
  });

  it('grasp points: each is read where the fingers go, in the frame the palm has after the move, and nowhere else', () => {
    const scene = defaultScene();
    const points: [number, number][] = [[0.08, 0], [-0.05, 0], [0.02, 0.03]];
    const yawScale = Math.PI / 8;
    const config: QNetConfig = { ...LOOKUP_QNET, lookup: { ...LOOKUP_QNET.lookup!, layers: [0], points, yawScale } };
    const net = new QNetwork(config, 9);
    // Palm at (0.1, −0.05) m facing yaw 0.3, then moves by (0.4, −0.2) units and turns by 0.5 unit.
    const state = tf.tensor2d([[0.8, 0, 1.5, 1, -0.5, 0.3]]);
    const action = tf.tensor2d([[0.4, -0.2, -1, 0.5, 0, 0]]);
    const pixels = net.lookupPixels(state, action).arraySync();
    const [cx, cy] = [0.1 + 0.4 * 0.05, -0.05 - 0.2 * 0.05];
    const yaw = 0.3 + 0.5 * yawScale;
    const expected = [[0, 0], ...points].map(([along, across]) =>
      projectToPixel(scene, [cx + along! * Math.cos(yaw) - across! * Math.sin(yaw), cy + along! * Math.sin(yaw) + across! * Math.cos(yaw), 0]),
    );
    expect(pixels).toHaveLength(4);
    expected.forEach(([u, v], i) => {
      expect(pixels[i]![0]).toBeCloseTo(u, 3);
      expect(pixels[i]![1]).toBeCloseTo(v, 3);
    });
    // With the image and action paths zeroed, Q reads only the sampled points: a bright patch where
    // the first finger point lands moves Q; turned a quarter, no point lands within 6 px of it.
    for (const { name, variable } of net.namedVariables()) {
      if (name === 'head/image_kernel' || name === 'head/action_kernel') variable.assign(tf.zerosLike(variable));
    }
    const [pu, pv] = pixels[1]!;
    const gray = new Float32Array(64 * 64 * 3).fill(0.4);
    const patched = gray.slice();
    for (let y = Math.floor(pv! - 1); y <= Math.ceil(pv! + 1); y++) {
      for (let x = Math.floor(pu! - 1); x <= Math.ceil(pu! + 1); x++) patched.fill(0.95, (y * 64 + x) * 3, (y * 64 + x) * 3 + 3);
    }
    const turned = tf.tensor2d([[0.4, -0.2, -1, 0.5 + Math.PI / 2 / yawScale, 0, 0]]);
    const q = (image: Float32Array, a: tf.Tensor2D) => net.logits(tf.tensor4d(image, [1, 64, 64, 3]), state, a).dataSync()[0]!;
    expect(Math.abs(q(patched, action) - q(gray, action))).toBeGreaterThan(1e-3);
    expect(q(patched, turned)).toBe(q(gray, turned));
    expect(() => new QNetwork({ ...config, lookup: { ...config.lookup!, yawScale: null } }, 0)).toThrow(/yawScale must be positive/);
    tf.dispose([state, action, turned]);
    net.dispose();
  });

  it('same seed gives the same weights; another seed does not; hardUpdate copies them', () => {
    const [a, b, c] = [new QNetwork(SMALL, 9), new QNetwork(SMALL, 9), new QNetwork(SMALL, 10)];
    a.variables.forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(Array.from(b.variables[i]!.dataSync())));
    expect(Array.from(a.variables[0]!.dataSync())).not.toEqual(Array.from(c.variables[0]!.dataSync()));
    hardUpdate(c.variables, a.variables);
    a.variables.forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(Array.from(c.variables[i]!.dataSync())));
    for (const net of [a, b, c]) net.dispose();
  });

  it('fits a fixed batch through learnerStep (Huber loss falls) and two seeded runs agree bit for bit', () => {
    const run = () => {
      const rng = new Rng(4);
      const net = new QNetwork(SMALL, 4);
      const optimizer = new JsAdam({ learningRate: 3e-3 });
      const images = uniform(rng, [16, 16, 16, 3], 0, 1) as tf.Tensor4D;
      const state = uniform(rng, [16, 3], 0, 1) as tf.Tensor2D;
      const actions = uniform(rng, [16, 6], -1, 1) as tf.Tensor2D;
      const targets = tf.tensor1d(Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? 0.9 : 0.1)));
      const losses: number[] = [];
      for (let i = 0; i < 100; i++) {
        const { loss } = learnerStep(net.variables, optimizer, () => net.logits(images, state, actions), targets, null, HUBER_ON_Q);
        if (i % 33 === 0 || i === 99) losses.push(loss);
      }
      tf.dispose([images, state, actions, targets]);
      optimizer.dispose();
      net.dispose();
      return losses;
    };
    const first = run();
    expect(first[first.length - 1]!).toBeLessThan(first[0]! * 0.3);
    expect(run()).toEqual(first);
  });

  it('keeps tf.memory().numTensors flat over 1000 small-net steps (JsAdam) and 10 reference steps (tf.train.adam)', () => {
    for (const [config, steps, optimizer] of [
      [SMALL, 1000, new JsAdam()],
      [REFERENCE_QNET, 10, tf.train.adam(1e-3)],
    ] as const) {
      const rng = new Rng(2);
      const net = new QNetwork(config, 2);
      const images = uniform(rng, [32, config.imageHeight, config.imageWidth, 3], 0, 1) as tf.Tensor4D;
      const state = uniform(rng, [32, 3], 0, 1) as tf.Tensor2D;
      const actions = uniform(rng, [32, 6], -1, 1) as tf.Tensor2D;
      const targets = uniform(rng, [32], 0, 1) as tf.Tensor1D;
      const step = () => learnerStep(net.variables, optimizer, () => net.logits(images, state, actions), targets, null, HUBER_ON_Q);
      step(); // Adam creates its slots here
      const before = tf.memory().numTensors;
      for (let i = 0; i < steps; i++) step();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([images, state, actions, targets]);
      optimizer.dispose();
      net.dispose();
    }
  });
});
