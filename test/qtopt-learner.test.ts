/**
 * QtOptLearner: a synthetic grasping replay with a known Q* (success iff the
 * image is bright and the gripper closes at the last step; γ 0.9 one step
 * before), the target chain's lags, determinism, no tensor leaks, and the CEM
 * policy acting on what was learned.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { addEpisode } from '../src/data/index.js';
import type { Observation, StepInfo } from '../src/env/index.js';
import { qtoptReplayConfig, resolveQtOptConfig, type QtOptConfig } from '../src/qtopt/config.js';
import { DrawnBatches, QtOptLearner, UPDATER_DEPTH } from '../src/qtopt/learner.js';
import { CemPolicy } from '../src/qtopt/policy.js';
import { statesTensor } from '../src/qtopt/inputs.js';
import { Rng } from '../src/random/index.js';
import { ReplayBuffer, type ReplayBatch } from '../src/rl/index.js';
import { initBackend } from '../src/tf/node.js';

const SIDE = 16;
const FRAME = SIDE * SIDE * 3;

const CONFIG: QtOptConfig = resolveQtOptConfig({
  network: {
    imageHeight: SIDE,
    imageWidth: SIDE,
    convs: [
      { filters: 8, kernelSize: 3, stride: 2 },
      { filters: 8, kernelSize: 3, stride: 2 },
    ],
    actionUnits: 16,
    headUnits: 32,
  },
  optimizer: { learningRate: 3e-3 },
  bellman: { targetUpdatePeriod: 5, delayedUpdatePeriod: 5, delayed2UpdatePeriod: 5 },
  cem: { initialMean: [0, 0, 0, 0, 0, 0] },
  train: { learningStarts: 32 },
});

beforeAll(async () => {
  await initBackend();
});

function frame(rng: Rng, bright: boolean): Uint8Array {
  const base = bright ? 190 : 60;
  return Uint8Array.from({ length: FRAME }, () => base + rng.int(-25, 25));
}

// [aperture m, closed, height m]. The two steps differ in the closed flag as well as the height: a
// height difference in metres alone is a small input and takes the net thousands of steps to separate.
const HIGH = [0.085, 0, 0.2]; // the first step, above the objects
const LOW = [0.03, 1, 0.04]; // the last step, at the objects

/**
 * Two-step episodes. Step 0 (high): any action, reward 0, not terminal. Step 1 (low,
 * terminal): reward 1 iff the image is bright and close > 0. So
 *   Q*(low, a)  = [bright] · [close > 0]
 *   Q*(high, a) = γ · max_a' Q*(low, a') = 0.9 · [bright]
 */
function syntheticReplay(episodes: number, seed: number, config: QtOptConfig = CONFIG, dxRange: [number, number] = [-1, 1]): ReplayBuffer {
  const replay = new ReplayBuffer({ ...qtoptReplayConfig(config), capacity: episodes * 3 + 3 });
  const rng = new Rng(seed);
  for (let e = 0; e < episodes; e++) {
    const bright = rng.bernoulli(0.5);
    const action = () => Float32Array.from({ length: 6 }, (_, d) => (d === 0 ? rng.range(...dxRange) : rng.range(-1, 1)));
    replay.add({ image: frame(rng, bright), vector: HIGH }, action(), 0, false, false);
    const last = action();
    const reward = bright && last[4]! > 0 ? 1 : 0;
    replay.add({ image: frame(rng, bright), vector: LOW }, last, reward, true, false, { image: frame(rng, bright), vector: LOW });
  }
  return replay;
}

function q(learner: QtOptLearner, bright: boolean, state: number[], close: number, dx: number | null = null): number {
  return tf.tidy(() => {
    const rng = new Rng(99);
    const images = tf.tensor4d(Array.from({ length: 8 }, () => Array.from(frame(rng, bright))).flat(), [8, SIDE, SIDE, 3]).div(255) as tf.Tensor4D;
    const s = statesTensor(Float32Array.from(new Array(8).fill(state).flat()), 8, 3); // the learner's scaled input
    const actions = tf.tensor2d(Array.from({ length: 8 }, (_, i) => [dx ?? 0.1 * i - 0.4, 0.2, -0.3, 0.1, close, -0.5]).flat(), [8, 6]);
    return tf.mean(learner.online.predict(images, s, actions)).dataSync()[0]!;
  });
}

function observation(bright: boolean, state: number[]): Observation {
  return { image: frame(new Rng(5), bright), imageWidth: SIDE, imageHeight: SIDE, aperture: state[0]!, closed: state[1] === 1, height: state[2]!, x: 0, y: 0, yaw: 0 };
}

/**
 * Gradient steps 1..last on batches drawn from `replay`, each loss finite; from step 3 on
 * (Adam's slots exist after the first) tf.memory().numTensors must stay where it was.
 */
async function stepsWithTensorsFlat(learner: QtOptLearner, replay: ReplayBuffer, batchSize: number, last: number): Promise<{ batch: ReplayBatch; tensors: number }> {
  const batch = replay.createBatch(batchSize);
  const rng = new Rng(4);
  let tensors = 0;
  for (let k = 1; k <= last; k++) {
    if (k === 3) tensors = tf.memory().numTensors;
    replay.sample(rng, batch);
    expect(Number.isFinite((await learner.step(batch, k)).loss)).toBe(true);
  }
  expect(tf.memory().numTensors).toBe(tensors);
  return { batch, tensors };
}

describe('QtOptLearner', () => {
  it('learns Q* of a synthetic grasp task (one image feature, one action dim, one bootstrap step), and CEM acts on it', async () => {
    const replay = syntheticReplay(300, 1);
    const learner = new QtOptLearner(CONFIG, 7);
    const batch = replay.createBatch(CONFIG.replay.batchSize);
    const rng = new Rng(2);
    let first = 0;
    let last = 0;
    for (let step = 1; step <= 600; step++) {
      replay.sample(rng, batch);
      const stats = await learner.step(batch, step);
      if (step <= 20) first += stats.loss / 20;
      if (step > 580) last += stats.loss / 20;
    }
    expect(last).toBeLessThan(first);
    // The last step: bright and closing succeeds; opening or dark does not.
    expect(q(learner, true, LOW, 0.8)).toBeGreaterThan(0.8);
    expect(q(learner, true, LOW, -0.8)).toBeLessThan(0.2);
    expect(q(learner, false, LOW, 0.8)).toBeLessThan(0.2);
    // One step before: γ · max = 0.9 when bright, whatever the action; 0 when dark.
    expect(q(learner, true, HIGH, -0.8)).toBeGreaterThan(0.6); // 0.77 at step 600, rising towards 0.9
    expect(q(learner, true, HIGH, -0.8)).toBeLessThan(0.97);
    expect(q(learner, false, HIGH, 0.8)).toBeLessThan(0.2);
    // The CEM policy on the learned net closes on the bright image at the bottom, and predicts success.
    const policy = new CemPolicy(learner.online, CONFIG);
    policy.reset(new Rng(3));
    const action = policy.act(observation(true, LOW), {} as StepInfo);
    expect(action[4]).toBeGreaterThan(0);
    expect(policy.lastPrediction).toBeGreaterThan(0.8);
    learner.dispose();
  });

  it('optimizer.conservativeWeight lowers Q of actions the data never tried, not of the data\'s own', async () => {
    // Every stored action has dx in [0.6, 1]; the question is Q at dx = −0.9, which no transition holds.
    const replay = syntheticReplay(300, 12, CONFIG, [0.6, 1]);
    const trained = async (conservativeWeight: number, conservativeActions = 16, conservativeContrasts = 0) => {
      const config = resolveQtOptConfig({ ...CONFIG, optimizer: { ...CONFIG.optimizer, conservativeWeight, conservativeActions, conservativeContrasts } });
      const learner = new QtOptLearner(config, 7);
      const batch = replay.createBatch(32);
      const rng = new Rng(13);
      let penalty = 0;
      for (let step = 1; step <= 300; step++) {
        replay.sample(rng, batch);
        penalty = (await learner.step(batch, step)).penalty;
      }
      const out = { seen: q(learner, true, LOW, 0.8, 0.8), unseen: q(learner, true, LOW, 0.8, -0.9), penalty };
      learner.dispose();
      return out;
    };
    const plain = await trained(0);
    const conservative = await trained(0.05);
    expect(plain.penalty).toBe(0);
    expect(conservative.penalty).toBeGreaterThan(0);
    // The data's actions still learn their value (bright, closing: success) …
    expect(conservative.seen).toBeGreaterThan(0.85); // 0.93 (plain 0.98)
    // … while the untried dx is held far below what the plain learner extrapolates to it (0.94).
    expect(conservative.unseen).toBeLessThan(plain.unseen - 0.5);
    // Contrasts instead: the data's action with dx from other stored transitions, all in [0.6, 1]. The
    // untried dx is never among the penalty's actions, so it is left where the plain learner puts it …
    const contrasted = await trained(0.05, 0, 16);
    expect(contrasted.unseen).toBeGreaterThan(plain.unseen - 0.2);
    // … and the contrasts are other rows' moves, not the row's own: 17 equal logits would make the penalty α · log 17.
    expect(Math.abs(contrasted.penalty - 0.05 * Math.log(17))).toBeGreaterThan(1e-4);
  });

  it('keeps tf.memory().numTensors flat over many steps and target updates', async () => {
    const replay = syntheticReplay(40, 3);
    const learner = new QtOptLearner(resolveQtOptConfig({ ...CONFIG, bellman: { ...CONFIG.bellman, targetUpdatePeriod: 3, delayedUpdatePeriod: 2, delayed2UpdatePeriod: 5 } }), 1);
    await stepsWithTensorsFlat(learner, replay, 32, 60);
    learner.dispose();
  });

  it('a stateDim 6 network (the palm\'s x, y, yaw too) learns from episodes added as collectors add them, numTensors flat, and its Q reads x', async () => {
    const config = resolveQtOptConfig({ ...CONFIG, network: { ...CONFIG.network, stateDim: 6 } });
    const replay = new ReplayBuffer({ ...qtoptReplayConfig(config), capacity: 64 });
    expect(replay.config.vectorDim).toBe(6);
    const rng = new Rng(8);
    const pose = () => ({ x: rng.range(-0.2, 0.2), y: rng.range(-0.2, 0.2), yaw: rng.range(-Math.PI, Math.PI) });
    for (let e = 0; e < 20; e++) {
      const bright = rng.bernoulli(0.5);
      const action = () => Float32Array.from({ length: 6 }, () => rng.range(-1, 1));
      const last = action();
      const success = bright && last[4]! > 0;
      addEpisode(replay, {
        steps: [
          { observation: { ...observation(bright, HIGH), ...pose() }, action: action(), reward: 0, done: false, success: false },
          { observation: { ...observation(bright, LOW), ...pose() }, action: last, reward: success ? 1 : 0, done: true, success },
        ],
      });
    }
    const learner = new QtOptLearner(config, 3);
    const { batch, tensors } = await stepsWithTensorsFlat(learner, replay, 16, 12);
    // The stored rows are whole states, x, y and yaw among them.
    expect(batch.vectors.subarray(0, 16 * 6).some((v, i) => i % 6 === 5 && Math.abs(v) > 0.1)).toBe(true);
    // The same search (same seed) from two palm positions: only x differs, and Q with it.
    const policy = new CemPolicy(learner.online, config);
    const predicted = (x: number) => {
      policy.reset(new Rng(3));
      expect(policy.act({ ...observation(true, HIGH), x, y: 0, yaw: 0 }, {} as StepInfo)).toHaveLength(6);
      return policy.lastPrediction;
    };
    expect(predicted(0.15)).toBe(predicted(0.15));
    expect(predicted(-0.15)).not.toBe(predicted(0.15));
    expect(tf.memory().numTensors).toBe(tensors);
    learner.dispose();
  });

  it('shifts the target chain on its periods, oldest first: θ̄₂ ← θ̄₁ ← θ̄ ← θ', async () => {
    const replay = syntheticReplay(40, 5);
    const learner = new QtOptLearner(resolveQtOptConfig({ ...CONFIG, bellman: { ...CONFIG.bellman, targetUpdatePeriod: 1, delayedUpdatePeriod: 1, delayed2UpdatePeriod: 1 } }), 2);
    const batch = replay.createBatch(32);
    const rng = new Rng(6);
    const snapshot = (net: { variables: tf.Variable[] }) => net.variables.map((v) => Array.from(v.dataSync()));
    const online: number[][][] = [snapshot(learner.online)]; // online[k] = θ after step k
    for (let k = 1; k <= 3; k++) {
      replay.sample(rng, batch);
      await learner.step(batch, k);
      online.push(snapshot(learner.online));
    }
    // Every period 1: after step 3, θ̄ = θ₃, θ̄₁ = θ₂, θ̄₂ = θ₁.
    expect(snapshot(learner.target!)).toEqual(online[3]);
    expect(snapshot(learner.delayed[0]!)).toEqual(online[2]);
    expect(snapshot(learner.delayed[1]!)).toEqual(online[1]);
    expect(online[3]).not.toEqual(online[2]);
    learner.dispose();
  });

  it('builds the ablations’ nets: one target net without clipping, none without target networks; stateDim 0 works', async () => {
    const one = new QtOptLearner(resolveQtOptConfig({ ...CONFIG, bellman: { ...CONFIG.bellman, clippedDoubleQ: false, argmaxNet: 'target' } }), 0);
    expect([one.target !== null, one.delayed.length]).toEqual([true, 0]);
    const none = new QtOptLearner(resolveQtOptConfig({ ...CONFIG, bellman: { ...CONFIG.bellman, clippedDoubleQ: false, targetNetworks: false, argmaxNet: 'target' } }), 0);
    expect([none.target, none.delayed.length]).toEqual([null, 0]);
    const replay = syntheticReplay(20, 8);
    const batch = replay.createBatch(32);
    replay.sample(new Rng(1), batch);
    for (const l of [one, none]) expect(Number.isFinite((await l.step(batch, 1)).loss)).toBe(true);
    // And a network without the gripper-state input (stateDim 0), on a replay without the vector part.
    const blind = resolveQtOptConfig({ ...CONFIG, network: { ...CONFIG.network, stateDim: 0 } });
    const imageOnly = new QtOptLearner(blind, 0);
    const imageReplay = syntheticReplay(20, 8, blind);
    const imageBatch = imageReplay.createBatch(32);
    imageReplay.sample(new Rng(1), imageBatch);
    expect(Number.isFinite((await imageOnly.step(imageBatch, 1)).loss)).toBe(true);
    for (const l of [one, none, imageOnly]) l.dispose();
  });

  it('with prioritized replay the importance weights scale the loss, and tdErrors feed the priorities', async () => {
    const per = resolveQtOptConfig({ ...CONFIG, replay: { ...CONFIG.replay, prioritized: true } });
    const replay = syntheticReplay(20, 11, per);
    const batch = replay.createBatch(32);
    replay.sample(new Rng(1), batch, 1);
    expect(Array.from(new Set(batch.weights))).toEqual([1]); // fresh transitions share the max priority
    const learners = [new QtOptLearner(per, 3), new QtOptLearner(per, 3), new QtOptLearner(CONFIG, 3)];
    const full = await learners[0]!.step(batch, 1);
    (batch.weights as Float32Array).fill(0.5);
    const half = await learners[1]!.step(batch, 1);
    // Same nets, same targets (CEM draws depend on seed and step): w = 0.5 halves the mean loss.
    expect(half.loss).toBeCloseTo(full.loss / 2, 6);
    expect(Array.from(half.tdErrors)).toEqual(Array.from(full.tdErrors));
    // A uniform-replay learner ignores the weights.
    expect((await learners[2]!.step(batch, 1)).loss).toBeCloseTo(full.loss, 6);
    for (const l of learners) l.dispose();
    // |δ| becomes the priorities: the next batch's importance weights are no longer all equal.
    replay.updatePriorities(batch.indices, full.tdErrors);
    replay.sample(new Rng(2), batch, 1);
    expect(new Set(batch.weights).size).toBeGreaterThan(1);
  });

  it.each([0, 3])('same seed and batches give the same stats bit for bit (replay.imageShift %i)', async (imageShift) => {
    const config = resolveQtOptConfig({ ...CONFIG, replay: { ...CONFIG.replay, imageShift } });
    const run = async () => {
      const replay = syntheticReplay(30, 9, config);
      const learner = new QtOptLearner(config, 4);
      const batch = replay.createBatch(32);
      const rng = new Rng(10);
      const losses: number[] = [];
      for (let k = 1; k <= 12; k++) {
        replay.sample(rng, batch);
        losses.push((await learner.step(batch, k)).loss);
      }
      learner.dispose();
      return losses;
    };
    expect(await run()).toEqual(await run());
  });

  /** The loss of one learner step on the same synthetic batch under replay settings `replay`; the batch's stored actions must come back untouched. */
  const firstLoss = async (replay: Partial<QtOptConfig['replay']>): Promise<number> => {
    const config = resolveQtOptConfig({ ...CONFIG, replay: { ...CONFIG.replay, ...replay } });
    const buffer = syntheticReplay(30, 9, config);
    const learner = new QtOptLearner(config, 4);
    const batch = buffer.createBatch(32);
    buffer.sample(new Rng(10), batch);
    const stored = batch.actions.slice();
    const { loss } = await learner.step(batch, 1);
    expect(batch.actions).toEqual(stored);
    learner.dispose();
    return loss;
  };

  it('replay.imageShift changes what the learner trains on: the same batch gives another loss', async () => {
    expect(await firstLoss({ imageShift: 3 })).not.toBe(await firstLoss({ imageShift: 0 }));
  });

  it('replay.actionJitter trains on moved copies of the data\'s moves: another loss, the same for the same seed, the batch untouched', async () => {
    const plain = await firstLoss({ actionJitter: 0 });
    const jittered = await firstLoss({ actionJitter: 0.2 });
    expect(jittered).not.toBe(plain);
    expect(await firstLoss({ actionJitter: 0.2 })).toBe(jittered);
  });

  it('DrawnBatches draws what one draw per step would, however far ahead, and keeps each batch until its step', () => {
    // Each draw writes its index into the batch; a buffer reused too early would show a later index.
    let draws = 0;
    const drawn = new DrawnBatches(() => ({ size: 1, indices: new Int32Array(1) }) as unknown as ReplayBatch);
    const held: ReplayBatch[] = [];
    const aheads = [UPDATER_DEPTH, UPDATER_DEPTH, 1, 0, 0, UPDATER_DEPTH, 9, 1, UPDATER_DEPTH, 0, 0, 0];
    for (const [step, ahead] of aheads.entries()) {
      const { batch, upcoming } = drawn.next(ahead, (b) => void (b.indices[0] = draws++));
      expect(batch.indices[0]).toBe(step);
      // What the step before was given as upcoming is unchanged now.
      expect(held.map((b) => b.indices[0])).toEqual(held.map((_, i) => step + i));
      expect(upcoming.map((b) => b.indices[0])).toEqual(upcoming.map((_, i) => step + 1 + i));
      expect(upcoming.length).toBeGreaterThanOrEqual(Math.min(ahead, UPDATER_DEPTH));
      expect(upcoming.length).toBeLessThanOrEqual(UPDATER_DEPTH);
      held.splice(0, held.length, ...upcoming);
    }
    expect(draws).toBe(aheads.length); // every drawn batch was taken: nothing drawn that no step used
  });
});
