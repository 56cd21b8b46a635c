/**
 * The grasp Q-network: the reference size, encoder-once/head-many scoring
 * against the plain forward pass, seeded determinism, learning on a fixed
 * batch, and no tensor leaks over many train steps.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../src/random/index.js';
import { featureSize, huberOnQ, initBackend, JsAdam, QNetwork, REFERENCE_QNET, REFERENCE_QNET_PARAMS, trainStep, type QNetConfig } from '../src/tf/index.js';

beforeAll(async () => {
  await initBackend();
});

/** A small net with the same structure, fast enough for a thousand steps in a test. */
const SMALL: QNetConfig = {
  imageHeight: 16,
  imageWidth: 16,
  imageChannels: 3,
  convs: [
    { filters: 8, kernelSize: 3, stride: 2 },
    { filters: 8, kernelSize: 3, stride: 2 },
  ],
  actionDim: 5,
  actionUnits: 16,
  headUnits: 16,
};

function uniform(rng: Rng, shape: number[], lo: number, hi: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.range(lo, hi)), shape);
}

describe('QNetwork', () => {
  it('reference network has 156,609 parameters and 2048 conv features', () => {
    const net = new QNetwork(REFERENCE_QNET, 0);
    // conv 5·5·3·32+32 + 2·(3·3·32·32+32) + action 5·64+64 + head (2048+64)·64+64 + out 64+1
    expect(REFERENCE_QNET_PARAMS).toBe(2432 + 2 * 9248 + 384 + 135232 + 65);
    expect(net.paramCount).toBe(REFERENCE_QNET_PARAMS);
    expect(featureSize(REFERENCE_QNET)).toBe(8 * 8 * 32);
    net.dispose();
  });

  it('scores N actions per image (encoder once) exactly as the full forward pass on tiled images', () => {
    const rng = new Rng(1);
    const net = new QNetwork(REFERENCE_QNET, 3);
    const b = 2;
    const n = 64;
    const images = uniform(rng, [b, 64, 64, 3], 0, 1) as tf.Tensor4D;
    const actions = uniform(rng, [b * n, 5], -1, 1) as tf.Tensor2D;
    const scored = net.scoreActions(images, actions); // [B, N]
    const tiled = tf.tidy(() => tf.reshape(tf.tile(tf.reshape(images, [b, 1, 64, 64, 3]), [1, n, 1, 1, 1]), [b * n, 64, 64, 3])) as tf.Tensor4D;
    const full = net.predict(tiled, actions); // [B·N]
    expect(scored.shape).toEqual([b, n]);
    const s = scored.dataSync();
    const f = full.dataSync();
    let maxDiff = 0;
    for (let i = 0; i < f.length; i++) maxDiff = Math.max(maxDiff, Math.abs(s[i]! - f[i]!));
    expect(maxDiff).toBeLessThan(1e-5);
    // The scores are not all the same value: the check above has something to compare.
    expect(Math.max(...s) - Math.min(...s)).toBeGreaterThan(1e-4);
    tf.dispose([scored, tiled, full, images, actions]);
    net.dispose();
  });

  it('same seed gives the same weights; another seed does not', () => {
    const [a, b, c] = [new QNetwork(SMALL, 9), new QNetwork(SMALL, 9), new QNetwork(SMALL, 10)];
    a.variables.forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(Array.from(b.variables[i]!.dataSync())));
    expect(Array.from(a.variables[0]!.dataSync())).not.toEqual(Array.from(c.variables[0]!.dataSync()));
    c.copyFrom(a);
    a.variables.forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(Array.from(c.variables[i]!.dataSync())));
    for (const net of [a, b, c]) net.dispose();
  });

  it('fits a fixed batch (Huber loss falls) and two seeded runs agree bit for bit', () => {
    const run = () => {
      const rng = new Rng(4);
      const net = new QNetwork(SMALL, 4);
      const optimizer = new JsAdam({ learningRate: 3e-3 });
      const images = uniform(rng, [16, 16, 16, 3], 0, 1) as tf.Tensor4D;
      const actions = uniform(rng, [16, 5], -1, 1) as tf.Tensor2D;
      const targets = tf.tensor1d(Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? 0.9 : 0.1)));
      const losses: number[] = [];
      for (let i = 0; i < 100; i++) {
        const loss = trainStep(net, optimizer, images, actions, huberOnQ(targets));
        if (i % 33 === 0 || i === 99) losses.push(loss.dataSync()[0]!);
        loss.dispose();
      }
      tf.dispose([images, actions, targets]);
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
      const actions = uniform(rng, [32, 5], -1, 1) as tf.Tensor2D;
      const targets = uniform(rng, [32], 0, 1) as tf.Tensor1D;
      const loss = huberOnQ(targets);
      trainStep(net, optimizer, images, actions, loss).dispose(); // Adam creates its slots here
      const before = tf.memory().numTensors;
      for (let i = 0; i < steps; i++) trainStep(net, optimizer, images, actions, loss).dispose();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([images, actions, targets]);
      optimizer.dispose();
      net.dispose();
    }
  });
});
