import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../src/random/index.js';
import { cartPoleDqnArgs, Mlp, trainCartPoleDqn } from '../src/rl/dqn/index.js';
import { initBackend } from '../src/tf/node.js';

beforeAll(async () => {
  await initBackend();
});

/** A run of `steps` env steps that trains from step 50 on, logging every learner step. */
function smoke(seed: number, steps = 200, dqn: Record<string, unknown> = {}) {
  const lines: string[] = [];
  const args = cartPoleDqnArgs({
    totalSteps: steps,
    evalEpisodes: 2,
    logEvery: 1,
    dqn: { seed, learningStarts: 50, trainFrequency: 1, batchSize: 16, targetUpdatePeriod: 20, epsilonDecaySteps: 100, ...dqn },
  });
  const result = trainCartPoleDqn(args, (step, m) => lines.push(JSON.stringify({ step, ...m })));
  return { result, lines };
}

describe('DQN on CartPole (smoke)', () => {
  it('runs 200 steps end to end, without leaking tensors, deterministically for a seed', () => {
    const a = smoke(7); // also the warm-up: kernels and the backend allocate once
    const before = tf.memory().numTensors;
    const b = smoke(7);
    expect(tf.memory().numTensors).toBe(before);
    expect(b.lines).toEqual(a.lines);
    expect(b.result.evalReturns).toEqual(a.result.evalReturns);

    const { result, lines } = b;
    expect(result.envSteps).toBe(200);
    expect(result.learnerSteps).toBe(150);
    expect(result.evalReturns).toHaveLength(2);
    expect(result.evalQ0.episodes).toBe(2);
    const losses = lines.map((l) => JSON.parse(l)['losses/td_loss']).filter((v) => v !== undefined);
    expect(losses).toHaveLength(150);
    expect(losses.every((v) => Number.isFinite(v))).toBe(true);
    expect(lines.some((l) => l.includes('charts/episodic_return'))).toBe(true);
  });

  it('differs across seeds', () => {
    expect(smoke(8, 80).lines).not.toEqual(smoke(9, 80).lines);
  });

  it('runs with n-step returns, prioritized replay, Polyak targets, MSE, clipped double Q and no target net', () => {
    const before = tf.memory().numTensors;
    const per = smoke(3, 100, { nStep: 3, prioritized: true, targetUpdateTau: 0.05, targetUpdatePeriod: 1, loss: 'mse' });
    expect(per.result.learnerSteps).toBe(50);
    expect(smoke(4, 100, { clippedDoubleQ: true, delayedTargetUpdatePeriod: 3 }).result.learnerSteps).toBe(50);
    const noTarget = trainCartPoleDqn(cartPoleDqnArgs({ totalSteps: 120, evalEpisodes: 1, dqn: { learningStarts: 50, targetNetworks: false, doubleQ: false } }));
    expect(noTarget.learnerSteps).toBe(18); // steps 52, 56, ..., 120 (every 4th after 50)
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('DQN target networks', () => {
  it('clipped double Q is wired in: it changes training, and so does the delayed nets\' own period', () => {
    const losses = (dqn: Record<string, unknown>) => smoke(5, 160, { targetUpdatePeriod: 10, ...dqn }).lines.filter((l) => l.includes('td_loss'));
    const plain = losses({});
    const clipped = losses({ clippedDoubleQ: true, delayedTargetUpdatePeriod: 5 });
    const clippedSlow = losses({ clippedDoubleQ: true, delayedTargetUpdatePeriod: 50 });
    // The first learner steps agree (every lagged net still equals the initial online net) ...
    expect(clipped[0]).toEqual(plain[0]);
    // ... then the min over the delayed nets, and how fast they follow, show in the loss.
    expect(clipped).not.toEqual(plain);
    expect(clippedSlow).not.toEqual(clipped);
    expect(clippedSlow).not.toEqual(plain);
  });

  it('rejects settings that need a target network when there is none, naming the field', () => {
    const noTarget = (dqn: Record<string, unknown>) => () => cartPoleDqnArgs({ dqn: { targetNetworks: false, doubleQ: false, ...dqn } });
    expect(noTarget({ clippedDoubleQ: true })).toThrow(/^cartpole dqn config: clippedDoubleQ: needs targetNetworks/);
    expect(noTarget({ doubleQ: true })).toThrow(/doubleQ: needs targetNetworks/);
    expect(noTarget({ targetUpdateTau: 0.5 })).toThrow(/targetUpdateTau: has no effect without targetNetworks/);
    expect(noTarget({})).not.toThrow();
    expect(() => cartPoleDqnArgs({ dqn: { loss: 'log' } })).toThrow(/loss: log needs Q in \[0, 1\]/);
  });
});

describe('Mlp', () => {
  it('forwardOne in plain JS equals the tfjs forward pass', () => {
    const net = new Mlp([4, 16, 8, 2], new Rng(5));
    const x = Float32Array.from([0.1, -0.4, 0.03, 0.7]);
    const expected = tf.tidy(() => net.apply(tf.tensor2d(x, [1, 4])).dataSync());
    const out = net.forwardOne(net.snapshot(), x, new Float32Array(2), new Float32Array(32));
    out.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    expect(net.paramCount).toBe(4 * 16 + 16 + 16 * 8 + 8 + 8 * 2 + 2);
    net.dispose();
  });
});
