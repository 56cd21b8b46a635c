import { describe, expect, it } from 'vitest';
import {
  fittedQIteration,
  gridworld,
  linearLeastSquares,
  maxAbsDiff,
  oneHotFeatures,
  valueIteration,
} from '../src/rl/tabular/index.js';

// Actions: 0 up, 1 right, 2 down, 3 left.
describe('value iteration', () => {
  it('matches hand-computed Q* on a deterministic corridor', () => {
    // 'S.G', γ = 0.9, reward 1 on entering G. States: s0, s1, G.
    // Q(s1, right) = 1; V(s1) = 1; Q(s0, right) = γ V(s1) = 0.9; V(s0) = 0.9.
    // Bumping (up/down anywhere, left at s0) stays: Q(s0, ·) = γ V(s0) = 0.81, Q(s1, up) = γ V(s1) = 0.9.
    // Q(s1, left) = γ V(s0) = 0.81. G is absorbing: 0.
    const mdp = gridworld({ layout: ['S.G'], gamma: 0.9, slip: 0 });
    const { q } = valueIteration(mdp);
    const expected = [0.81, 0.9, 0.81, 0.81, 0.9, 1, 0.9, 0.81, 0, 0, 0, 0];
    expect(maxAbsDiff(q, expected)).toBeLessThan(1e-9);
  });

  it('matches hand-computed values with slip', () => {
    // Same corridor, slip 0.1: right from s1 reaches G w.p. 0.8, slips up/down (stays) w.p. 0.2.
    // If the optimal action at s1 is right: V1 = 0.8 + 0.2 γ V1  =>  V1 = 0.8 / (1 − 0.18) = 0.975609756...
    // At s0, right: V0 = 0.8 γ V1 + 0.2 γ V0  =>  V0 = 0.72 V1 / (1 − 0.18) = 0.856633...
    const mdp = gridworld({ layout: ['S.G'], gamma: 0.9, slip: 0.1 });
    const { q } = valueIteration(mdp);
    const v1 = 0.8 / 0.82;
    const v0 = (0.72 * v1) / 0.82;
    expect(q[1 * 4 + 1]).toBeCloseTo(v1, 9);
    expect(q[0 * 4 + 1]).toBeCloseTo(v0, 9);
    // Left at s1: 0.8 γ V0 + 0.2 γ V1.
    expect(q[1 * 4 + 3]).toBeCloseTo(0.72 * v0 + 0.18 * v1, 9);
  });

  it('avoids the trap in the 4x3 world', () => {
    const mdp = gridworld(); // '...G', '.#.T', 'S...'
    const { q, iterations } = valueIteration(mdp);
    expect(iterations).toBeGreaterThan(10);
    // Cell (1,2) sits left of the trap: going up (toward G) beats going right (into T).
    const s = mdp.coords.findIndex(([r, c]) => r === 1 && c === 2);
    expect(q[s * 4 + 0]).toBeGreaterThan(q[s * 4 + 1]);
    expect(q[s * 4 + 1]).toBeLessThan(0);
  });
});

describe('fitted Q iteration', () => {
  for (const slip of [0, 0.1]) {
    it(`exact tabular FQI equals value iteration to 1e-6 (slip ${slip})`, async () => {
      const mdp = gridworld({ slip });
      const vi = valueIteration(mdp, { tol: 1e-9 });
      const fqi = await fittedQIteration(mdp, linearLeastSquares(mdp, oneHotFeatures(mdp)), { tol: 1e-9 });
      expect(maxAbsDiff(fqi.q, vi.q)).toBeLessThan(1e-6);
      expect(fqi.iterations).toBe(vi.iterations);
    });
  }

  it('with too few features it cannot represent Q*', async () => {
    // A regressor that sees only the action (4 weights) must miss Q* somewhere:
    // this guards the test above against a regressor that ignores its features.
    const mdp = gridworld({ slip: 0.1 });
    const vi = valueIteration(mdp);
    const actionOnly = (_s: number, a: number) => Float64Array.from({ length: 4 }, (_, j) => (j === a ? 1 : 0));
    const fqi = await fittedQIteration(mdp, linearLeastSquares(mdp, actionOnly), { maxIterations: 200 });
    expect(maxAbsDiff(fqi.q, vi.q)).toBeGreaterThan(0.1);
  });
});
