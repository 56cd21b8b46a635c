/**
 * CemPolicy: observation-only inputs (privileged state never read), seeded
 * determinism, lastPrediction equal to the net's Q of the returned action, the
 * ε-random and Gaussian-noise options, and no tensor leaks per step.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Observation, StepInfo } from '../src/env/index.js';
import { resolveQtOptConfig } from '../src/qtopt/config.js';
import { randomAction } from '../src/policies/index.js';
import { CemPolicy } from '../src/qtopt/policy.js';
import { actionsTensor, statesTensor } from '../src/qtopt/inputs.js';
import { Rng } from '../src/random/index.js';
import { initBackend, QNetwork, type QNetConfig } from '../src/tf/node.js';

const SIDE = 16;
const CONFIG = resolveQtOptConfig({
  network: { imageHeight: SIDE, imageWidth: SIDE, convs: [{ filters: 4, kernelSize: 3, stride: 2 }], actionUnits: 8, headUnits: 8 },
});

let net: QNetwork;
beforeAll(async () => {
  await initBackend();
  net = new QNetwork(CONFIG.network as QNetConfig, 1);
});

function observation(seed: number, side = SIDE): Observation {
  const rng = new Rng(seed);
  return { image: Uint8Array.from({ length: side * side * 3 }, () => rng.int(0, 255)), imageWidth: side, imageHeight: side, aperture: 0.08, closed: false, height: 0.15, x: 0.05, y: -0.04, yaw: 0.3 };
}

/** Step info whose simulator state throws when touched: a learned policy must never read it. */
const NO_PRIVILEGED = {
  step: 0,
  objectIds: [],
  get privileged(): never {
    throw new Error('CemPolicy read info.privileged');
  },
} as unknown as StepInfo;

function netQ(action: Float32Array, obs: Observation): number {
  return tf.tidy(() => {
    const images = tf.tensor4d(obs.image, [1, SIDE, SIDE, 3], 'int32').div(255) as tf.Tensor4D;
    const state = statesTensor(Float32Array.of(obs.aperture, obs.closed ? 1 : 0, obs.height), 1, 3);
    return net.predict(images, state, actionsTensor(action, 1, [])).dataSync()[0]!;
  });
}

describe('CemPolicy', () => {
  it('acts from the observation alone, deterministically from its Rng, and reports Q of its action', () => {
    const policy = new CemPolicy(net, CONFIG);
    const act = (seed: number) => {
      policy.reset(new Rng(seed));
      return policy.act(observation(4), NO_PRIVILEGED);
    };
    const a = act(7);
    expect(Array.from(act(7))).toEqual(Array.from(a));
    expect(Array.from(act(8))).not.toEqual(Array.from(a));
    for (const v of a) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    policy.reset(new Rng(7));
    policy.act(observation(4), NO_PRIVILEGED);
    expect(policy.lastPrediction).toBeCloseTo(netQ(a, observation(4)), 5);
    expect(policy.lastWasRandom).toBe(false);
  });

  it('with ε = 1 takes exploration actions: dz = −1 about 90% of the time, terminate about 5%', () => {
    const policy = new CemPolicy(net, CONFIG, { epsilon: 1 });
    policy.reset(new Rng(1));
    let down = 0;
    let terminate = 0;
    const n = 400;
    for (let i = 0; i < n; i++) {
      const a = policy.act(observation(2), NO_PRIVILEGED);
      expect(policy.lastWasRandom).toBe(true);
      if (a[2] === -1) down++;
      if (a[5]! > 0) terminate++;
      if (i === 0) expect(policy.lastPrediction).toBeCloseTo(netQ(a, observation(2)), 5);
    }
    expect(down / n).toBeGreaterThan(0.85);
    expect(down / n).toBeLessThan(0.95);
    expect(terminate / n).toBeLessThan(0.1);
    expect(terminate).toBeGreaterThan(0);
  });

  it('adds Gaussian noise to CEM’s choice, clipped to the box, and predicts Q of the noisy action', () => {
    const plain = new CemPolicy(net, CONFIG);
    const noisy = new CemPolicy(net, CONFIG, { noiseStd: 0.3 });
    plain.reset(new Rng(5));
    noisy.reset(new Rng(5));
    const a = plain.act(observation(3), NO_PRIVILEGED);
    const b = noisy.act(observation(3), NO_PRIVILEGED);
    // Same CEM draws (same Rng stream up to the noise), then noise on top.
    const moved = Array.from(b).map((v, d) => Math.abs(v - a[d]!));
    expect(Math.max(...moved)).toBeGreaterThan(0.01);
    for (const v of b) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    expect(noisy.lastPrediction).toBeCloseTo(netQ(b, observation(3)), 5);
  });

  it('searches with the policy CEM settings (cem.policySamples/Elites/Iterations), not the Bellman targets\' ones', () => {
    const config = resolveQtOptConfig({ ...CONFIG, cem: { samples: 8, elites: 2, iterations: 1, policySamples: 24, policyElites: 5, policyIterations: 3 } });
    const rows: number[] = [];
    const counting = Object.create(net, { headScores: { value: (e: tf.Tensor2D, a: tf.Tensor2D) => (rows.push(a.shape[0]), net.headScores(e, a)) } }) as QNetwork;
    const policy = new CemPolicy(counting, config);
    policy.reset(new Rng(1));
    policy.act(observation(4), NO_PRIVILEGED);
    expect(policy.search).toMatchObject({ samples: 24, elites: 5, iterations: 3 });
    expect(rows).toEqual([24, 24, 24]); // one batched head call per iteration, the whole population
    expect(() => resolveQtOptConfig({ cem: { policySamples: 4, policyElites: 6 } }, 'c.json')).toThrow(/c\.json: cem\.policyElites: must be ≤ the policy's samples \(4\)/);
    expect(() => resolveQtOptConfig({ cem: { policySamples: 4 } }, 'c.json')).toThrow(/cem\.policyElites: must be ≤ the policy's samples \(4\)/); // cem.elites 6
    // Unset, the policy searches as the Bellman targets do.
    expect(new CemPolicy(net, CONFIG).search).toMatchObject({ samples: 64, elites: 6, iterations: 2 });
  });

  it('keeps tf.memory().numTensors flat over many steps', () => {
    const policy = new CemPolicy(net, CONFIG, { epsilon: 0.3, noiseStd: 0.1 });
    policy.reset(new Rng(2));
    policy.act(observation(1), NO_PRIVILEGED);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) policy.act(observation(i), NO_PRIVILEGED);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses an image of another size, naming both', () => {
    const policy = new CemPolicy(net, CONFIG);
    expect(() => policy.act(observation(1, 32), NO_PRIVILEGED)).toThrow('CemPolicy: the observation is 32×32 px, the network takes 16×16');
  });

  it('randomAction draws as many values whatever the outcomes, and as the old RandomPolicy without the down bias', () => {
    const [r1, r2, r3] = [new Rng(3), new Rng(3), new Rng(3)];
    randomAction(r1, 0.05, 1);
    randomAction(r2, 0.05, 1e-9);
    expect(r1.uniform()).toBe(r2.uniform());
    // Without the bias: five uniforms, then the terminate draw (RandomPolicy's stream before the option existed).
    const a = randomAction(r3, 0.05, 0);
    const ref = new Rng(3);
    const expected = [0, 1, 2, 3, 4].map(() => ref.range(-1, 1));
    expect(Array.from(a.subarray(0, 5))).toEqual(expected.map((v) => Math.fround(v)));
    expect(a[5]).toBe(ref.bernoulli(0.05) ? 1 : -1);
  });
});
