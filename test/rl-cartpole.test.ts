import { describe, expect, it } from 'vitest';
import { CartPole, CARTPOLE, cartPoleDynamics } from '../src/rl/cartpole/index.js';

describe('CartPole dynamics', () => {
  it('matches the first step worked out by hand', () => {
    // From rest, push right (F = 10 N). m_total = 1.1, m_p·l = 0.05.
    // temp = F / m_total = 100/11.
    // θ̈ = (g·0 − 1·temp) / (l (4/3 − m_p·1/m_total)) = −(100/11) / (0.5 (4/3 − 1/11)) = −(100/11)/(41/66) = −600/41.
    // ẍ = temp − m_p·l·θ̈·1/m_total = 100/11 + 30/(41·1.1) = 4400/451.
    // Euler with τ = 0.02 from zero velocity: x and θ stay 0, ẋ = 88/451, θ̇ = −12/41.
    const s = new Float64Array(4);
    cartPoleDynamics(s, 1);
    expect(s[0]).toBe(0);
    expect(s[1]).toBeCloseTo(88 / 451, 14);
    expect(s[2]).toBe(0);
    expect(s[3]).toBeCloseTo(-12 / 41, 14);
    // Pushing left is the mirror image.
    const m = new Float64Array(4);
    cartPoleDynamics(m, 0);
    expect(Array.from(m)).toEqual(Array.from(s, (v) => (v === 0 ? 0 : -v)));
  });

  it('follows a reference trajectory for a fixed action sequence', () => {
    // Reference: Gymnasium's step equations evaluated in Python/NumPy float64
    // from [0.01, −0.02, 0.03, 0.04] with actions 1,0,0,1,1,1,0,1,0,0; states after step 1, 5 and 10.
    const s = Float64Array.from([0.01, -0.02, 0.03, 0.04]);
    const actions = [1, 0, 0, 1, 1, 1, 0, 1, 0, 0];
    const after: Record<number, number[]> = {
      1: [0.009600000000000001, 0.17467919574755525, 0.030799999999999998, -0.2430687179600081],
      5: [0.00791661253107495, 0.17298676004769037, 0.035838631046105324, -0.20574851582677406],
      10: [0.03293383706570074, -0.02379962460232901, 0.0054623041616948635, 0.12379799946559022],
    };
    actions.forEach((a, i) => {
      cartPoleDynamics(s, a);
      const ref = after[i + 1];
      if (ref) ref.forEach((v, k) => expect(s[k]).toBeCloseTo(v, 13));
    });
  });
});

describe('CartPole episodes', () => {
  it('terminates when the pole falls, rewarding the final step', () => {
    // Always pushing right from rest tips the pole past 12° on step 9 (Python reference:
    // θ = −0.21518604988500967 rad after step 9, θ threshold 0.2094 rad).
    const env = new CartPole();
    env.reset({ seed: 0 });
    env.state.fill(0);
    const steps = [];
    for (let i = 0; i < 9; i++) steps.push(env.step(1));
    expect(steps.slice(0, 8).every((s) => !s.terminated && !s.truncated && s.reward === 1)).toBe(true);
    expect(steps[8].terminated).toBe(true);
    expect(steps[8].truncated).toBe(false);
    expect(steps[8].reward).toBe(1);
    expect(steps[8].observation[2]).toBeCloseTo(-0.21518604988500967, 6);
    expect(() => env.step(1)).toThrow(/reset/);
  });

  it('truncates at 500 steps under a balancing controller', () => {
    const env = new CartPole();
    let { observation: o } = env.reset({ seed: 3 });
    let last;
    for (let t = 0; t < 500; t++) {
      // A hand-tuned linear controller keeps the pole up and the cart near the middle.
      const a = o[0] * 0.1 + o[1] * 0.5 + o[2] * 10 + o[3] * 2 > 0 ? 1 : 0;
      last = env.step(a);
      o = last.observation;
      if (t < 499) expect(last.terminated || last.truncated).toBe(false);
    }
    expect(last!.truncated).toBe(true);
    expect(last!.terminated).toBe(false);
    expect(env.elapsedSteps).toBe(CARTPOLE.maxEpisodeSteps);
  });

  it('draws the initial state from its seeded Rng in [-0.05, 0.05)', () => {
    const a = new CartPole();
    const b = new CartPole();
    const first = a.reset({ seed: 7 }).observation;
    expect(Array.from(b.reset({ seed: 7 }).observation)).toEqual(Array.from(first));
    expect(first.every((v) => v >= -0.05 && v < 0.05)).toBe(true);
    // Without a new seed the stream continues: the next episode starts elsewhere.
    expect(Array.from(a.reset().observation)).not.toEqual(Array.from(first));
    expect(() => new CartPole().reset()).toThrow(/seed/);
  });
});
