/**
 * Bellman targets on fake nets with known outputs (Dopamine style: each expected
 * target is derived by hand in a comment): clipped double Q, the no-clipping and
 * no-target-net wirings, random shooting, terminal steps (never scored),
 * encode-once, and no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bellmanTargets, type BellmanInputs, type BellmanSettings, type QScorer } from '../src/qtopt/bellman.js';
import { bellmanNetsOf } from '../src/qtopt/bellman-updater.js';
import { Rng } from '../src/random/index.js';
import { initBackend } from '../src/tf/node.js';

beforeAll(async () => {
  await initBackend();
});

const A = 6;
const BOX = { low: new Float32Array(A).fill(-1), high: new Float32Array(A).fill(1) };
const CLOSE = 4;

/**
 * embedding_b = scale · mean(image_b) + aperture_b   [B, 1]
 * logit_b(a)  = embedding_b + bonus · [a_close > 0]   (bonusWhenClosed) or · [a_close ≤ 0]
 * so its own argmax is any action with the favoured close sign, and its value there is known.
 */
class FakeNet implements QScorer {
  encodes = 0;
  heads = 0;
  constructor(
    private readonly scale: number,
    private readonly bonus: number,
    private readonly bonusWhenClosed: boolean,
  ) {}

  encode(images: tf.Tensor4D, state: tf.Tensor2D): tf.Tensor2D {
    this.encodes++;
    return tf.tidy(() => tf.add(tf.mul(tf.mean(images, [1, 2, 3]), this.scale), tf.squeeze(tf.slice(state, [0, 0], [-1, 1]), [1])).reshape([-1, 1]));
  }

  headScores(embedding: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor1D {
    this.heads++;
    return tf.tidy(() => tf.sigmoid(this.logits(embedding, actions)));
  }

  private logits(embedding: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      const b = embedding.shape[0];
      const n = actions.shape[0] / b;
      const e = tf.reshape(tf.tile(embedding, [1, n]), [-1]); // [B·N]
      const close = tf.squeeze(tf.slice(actions, [0, CLOSE], [-1, 1]), [1]); // [B·N]
      const favoured = this.bonusWhenClosed ? tf.greater(close, 0) : tf.lessEqual(close, 0);
      return tf.add(e, tf.mul(tf.cast(favoured, 'float32'), this.bonus)) as tf.Tensor1D;
    });
  }
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Three transitions: next images of constant value 0.2, 0.5, 1.0; apertures 0, 0.1, −0.4; the last one terminal. */
function inputs(): BellmanInputs {
  const values = [0.2, 0.5, 1.0];
  const images = tf.tensor4d(values.flatMap((v) => new Array(2 * 2 * 3).fill(v)), [3, 2, 2, 3]);
  const state = tf.tensor2d([0, 1, 0.05, 0.1, 0, 0.05, -0.4, 1, 0.02], [3, 3]);
  return { rewards: new Float32Array([0, 0, 1]), discounts: new Float32Array([0.9, 0.9, 0]), nextImages: images, nextState: state };
}

const SETTINGS: BellmanSettings = {
  argmax: 'cem',
  randomActions: 16,
  cem: { samples: 64, elites: 6, iterations: 2, initialMean: [0, 0, -1, 0, 0, 0], initialStd: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5], minVariance: 1e-4 },
  ignoredActions: [],
};

describe('bellmanTargets', () => {
  it('clipped double Q: a* from the target net, the min of the two delayed nets at a*', () => {
    const target = new FakeNet(2, 1, true); // prefers close > 0
    const delayed1 = new FakeNet(1, 3, false); // would prefer close ≤ 0, but evaluates a*
    const delayed2 = new FakeNet(4, 0.5, true);
    const x = inputs();
    const before = tf.memory().numTensors;
    const r = bellmanTargets(x, { argmax: target, values: [delayed1, delayed2] }, SETTINGS, new Rng(3), BOX);
    expect(tf.memory().numTensors).toBe(before);
    // a* has close > 0 in the rows that bootstrap (the target net's bonus), whatever the delayed nets prefer.
    for (let b = 0; b < 2; b++) expect(r.nextActions[b * A + CLOSE]).toBeGreaterThan(0);
    // Row 0: delayed1 = 1·0.2 + 0 (no bonus at close > 0) = 0.2; delayed2 = 4·0.2 + 0 + 0.5 = 1.3;
    //        min σ = σ(0.2) = 0.549834; y = 0 + 0.9 · 0.549834 = 0.494851.
    // Row 1: delayed1 = 0.5 + 0.1 = 0.6; delayed2 = 2.0 + 0.1 + 0.5 = 2.6; σ(0.6) = 0.645656; y = 0.581090.
    // Row 2: terminal (d = 0): y = r = 1, whatever Q̄ says.
    expect(r.targets[0]).toBeCloseTo(0.494851, 5);
    expect(r.targets[1]).toBeCloseTo(0.58109, 5);
    expect(r.targets[2]).toBeCloseTo(1, 6);
    expect(r.nextQ[0]).toBeCloseTo(sigmoid(0.2), 6);
    // Row 2 is not scored: nothing follows a terminal step.
    expect(r.nextQ[2]).toBe(0);
    expect(Array.from(r.nextActions.subarray(2 * A, 3 * A))).toEqual(new Array(A).fill(0));
    // Encode once per net; the target net's head once per CEM iteration, each delayed net's once.
    expect([target.encodes, delayed1.encodes, delayed2.encodes]).toEqual([1, 1, 1]);
    expect([target.heads, delayed1.heads, delayed2.heads]).toEqual([2, 1, 1]);
    tf.dispose([x.nextImages, x.nextState]);
  });

  it("QT-Opt's paper: the first delayed net picks a* and values it with the second, its encoder once for both", () => {
    const target = new FakeNet(2, 1, true);
    const delayed1 = new FakeNet(1, 3, false); // prefers close ≤ 0, and now it picks
    const delayed2 = new FakeNet(4, 0.5, true);
    const x = inputs();
    const nets = bellmanNetsOf(target, [delayed1, delayed2], 'delayed');
    expect(nets.argmax).toBe(delayed1);
    const r = bellmanTargets(x, nets, SETTINGS, new Rng(3), BOX);
    for (let b = 0; b < 2; b++) expect(r.nextActions[b * A + CLOSE]).toBeLessThanOrEqual(0);
    // Row 0 at close ≤ 0: delayed1 = 0.2 + 3 = 3.2; delayed2 = 0.8 + 0 + 0 = 0.8; min σ = σ(0.8); y = 0.9 · σ(0.8).
    expect(r.targets[0]).toBeCloseTo(0.9 * sigmoid(0.8), 5);
    // Row 1: delayed1 = 0.6 + 3 = 3.6; delayed2 = 2.1; y = 0.9 · σ(2.1).
    expect(r.targets[1]).toBeCloseTo(0.9 * sigmoid(2.1), 5);
    // Two encoders, not three: the target net is not read at all.
    expect([target.encodes, delayed1.encodes, delayed2.encodes]).toEqual([0, 1, 1]);
    expect([delayed1.heads, delayed2.heads]).toEqual([3, 1]);
    // The default picks with the target net; without two delayed nets the picker values alone.
    expect(bellmanNetsOf(target, [delayed1, delayed2], 'target')).toEqual({ argmax: target, values: [delayed1, delayed2] });
    expect(bellmanNetsOf(target, [], 'delayed')).toEqual({ argmax: target, values: [target] });
    tf.dispose([x.nextImages, x.nextState]);
  });

  it('no clipping: the target net picks and evaluates (one encode, heads = iterations + 1)', () => {
    const target = new FakeNet(2, 1, true);
    const x = inputs();
    const r = bellmanTargets(x, { argmax: target, values: [target] }, { ...SETTINGS, cem: { ...SETTINGS.cem, iterations: 3 } }, new Rng(4), BOX);
    // Row 0: 2·0.2 + 0 + 1 = 1.4, σ = 0.802184, y = 0.9 · 0.802184 = 0.721965.
    // Row 1: 2·0.5 + 0.1 + 1 = 2.1, σ = 0.890903, y = 0.801813.
    expect(r.targets[0]).toBeCloseTo(0.721965, 5);
    expect(r.targets[1]).toBeCloseTo(0.801813, 5);
    expect(r.targets[2]).toBeCloseTo(1, 6);
    expect([target.encodes, target.heads]).toEqual([1, 4]);
    tf.dispose([x.nextImages, x.nextState]);
  });

  it('a max over 16 random actions finds the same favoured a* (Quillen et al.’s ablation), in one head call', () => {
    const target = new FakeNet(2, 1, true);
    const delayed1 = new FakeNet(1, 3, false);
    const delayed2 = new FakeNet(4, 0.5, true);
    const x = inputs();
    const r = bellmanTargets(x, { argmax: target, values: [delayed1, delayed2] }, { ...SETTINGS, argmax: 'random' }, new Rng(5), BOX);
    for (let b = 0; b < 2; b++) expect(r.nextActions[b * A + CLOSE]).toBeGreaterThan(0);
    expect(r.targets[0]).toBeCloseTo(0.494851, 5);
    expect(target.heads).toBe(1);
    tf.dispose([x.nextImages, x.nextState]);
  });

  it('the argmax net matters: a target net preferring close ≤ 0 changes y', () => {
    const flipped = new FakeNet(2, 1, false);
    const delayed1 = new FakeNet(1, 3, false);
    const delayed2 = new FakeNet(4, 0.5, true);
    const x = inputs();
    const r = bellmanTargets(x, { argmax: flipped, values: [delayed1, delayed2] }, SETTINGS, new Rng(3), BOX);
    // Row 0 at close ≤ 0: delayed1 = 0.2 + 3 = 3.2, delayed2 = 0.8 (no bonus) → σ(0.8) = 0.689974; y = 0.620977.
    expect(r.targets[0]).toBeCloseTo(0.620977, 5);
    tf.dispose([x.nextImages, x.nextState]);
  });

  it('scores only the rows that bootstrap: the same a* and y as a batch of those rows alone', () => {
    const target = new FakeNet(2, 1, true);
    const delayed1 = new FakeNet(1, 3, false);
    const delayed2 = new FakeNet(4, 0.5, true);
    const x = inputs();
    const before = tf.memory().numTensors;
    const r = bellmanTargets(x, { argmax: target, values: [delayed1, delayed2] }, SETTINGS, new Rng(3), BOX);
    expect(tf.memory().numTensors).toBe(before);
    const rows = tf.tensor1d([0, 1], 'int32');
    const alone: BellmanInputs = { rewards: x.rewards.slice(0, 2), discounts: x.discounts.slice(0, 2), nextImages: tf.gather(x.nextImages, rows), nextState: tf.gather(x.nextState, rows) };
    const s = bellmanTargets(alone, { argmax: target, values: [delayed1, delayed2] }, SETTINGS, new Rng(3), BOX);
    expect(Array.from(r.nextActions.subarray(0, 2 * A))).toEqual(Array.from(s.nextActions));
    expect(Array.from(r.targets.subarray(0, 2))).toEqual(Array.from(s.targets));
    tf.dispose([x.nextImages, x.nextState, rows, alone.nextImages, alone.nextState]);
  });

  it('a batch where every row is terminal costs no network call: y = R', () => {
    const target = new FakeNet(2, 1, true);
    const x = inputs();
    const terminal: BellmanInputs = { ...x, rewards: new Float32Array([0, 1, 1]), discounts: new Float32Array(3) };
    const r = bellmanTargets(terminal, { argmax: target, values: [target] }, SETTINGS, new Rng(3), BOX);
    expect(Array.from(r.targets)).toEqual([0, 1, 1]);
    expect([target.encodes, target.heads]).toEqual([0, 0]);
    tf.dispose([x.nextImages, x.nextState]);
  });

  it('dataAction: the data\'s own next action is a candidate for a*, so a peak no search draws still reaches y', () => {
    // logit = 6 at exactly dx = 0.123 (the data's action), −6 anywhere else: CEM's continuous samples never land there.
    const DX = 0.123;
    const peaked: QScorer = {
      encode: (images) => tf.tidy(() => tf.zeros([images.shape[0], 1]) as tf.Tensor2D),
      headScores: (_embedding, actions) =>
        tf.tidy(() => {
          const dx = tf.squeeze(tf.slice(actions, [0, 0], [-1, 1]), [1]);
          return tf.sigmoid(tf.sub(tf.mul(tf.cast(tf.less(tf.abs(tf.sub(dx, DX)), 1e-6), 'float32'), 12), 6)) as tf.Tensor1D;
        }),
    };
    const x = inputs();
    const data = new Float32Array(3 * A);
    for (let b = 0; b < 3; b++) data[b * A] = DX;
    const nets = { argmax: peaked, values: [peaked] };
    const searched = bellmanTargets(x, nets, SETTINGS, new Rng(4), BOX);
    const withData = bellmanTargets({ ...x, dataNextActions: data }, nets, { ...SETTINGS, dataAction: true }, new Rng(4), BOX);
    // Rows 0 and 1 bootstrap: y = 0 + 0.9 · σ(−6) = 0.002229 from the search alone, 0.9 · σ(6) = 0.897771 with the data's action.
    expect(searched.targets[0]).toBeCloseTo(0.9 * sigmoid(-6), 5);
    expect(withData.targets[0]).toBeCloseTo(0.9 * sigmoid(6), 5);
    expect(withData.targets[1]).toBeCloseTo(0.9 * sigmoid(6), 5);
    expect(withData.nextActions[A]).toBeCloseTo(DX, 6);
    // The terminal row is still R alone.
    expect(withData.targets[2]).toBeCloseTo(1, 6);
    // Where the search's best scores higher, it stays a*: the data's action here is the peak's opposite.
    const away = bellmanTargets({ ...x, dataNextActions: new Float32Array(3 * A).fill(-0.9) }, nets, { ...SETTINGS, dataAction: true }, new Rng(4), BOX);
    expect(Array.from(away.nextActions)).toEqual(Array.from(searched.nextActions));
    tf.dispose([x.nextImages, x.nextState]);
  });

  it('is deterministic given the Rng', () => {
    const t = new FakeNet(2, 1, true);
    const x = inputs();
    const a = bellmanTargets(x, { argmax: t, values: [t] }, SETTINGS, new Rng(9), BOX);
    const b = bellmanTargets(x, { argmax: t, values: [t] }, SETTINGS, new Rng(9), BOX);
    expect(Array.from(a.nextActions)).toEqual(Array.from(b.nextActions));
    tf.dispose([x.nextImages, x.nextState]);
  });
});
