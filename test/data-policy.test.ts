import { describe, expect, it } from 'vitest';
import { buildPolicy, parsePolicySpec, PolicySpecError } from '../src/data/index.js';
import type { Observation, StepInfo } from '../src/env/index.js';
import { Rng, deriveSeed } from '../src/random/index.js';
import { defaultScene } from '../src/scene/index.js';

const scene = defaultScene();
const obs: Observation = { image: new Uint8Array(12), imageWidth: 2, imageHeight: 2, aperture: 0.1, closed: false, height: 0.2, x: 0, y: 0, yaw: 0 };

describe('--policy parser', () => {
  it('parses built-ins, mixtures, epsilon and checkpoint specs', () => {
    expect(parsePolicySpec('scripted')).toEqual({ kind: 'builtin', name: 'scripted' });
    expect(parsePolicySpec('mixture:scripted=0.3,random=0.7')).toEqual({
      kind: 'mixture',
      components: [
        { spec: { kind: 'builtin', name: 'scripted' }, weight: 0.3 },
        { spec: { kind: 'builtin', name: 'random' }, weight: 0.7 },
      ],
    });
    expect(parsePolicySpec('scripted+eps:0.2')).toEqual({ kind: 'epsilon', base: 'scripted', epsilon: 0.2 });
    expect(parsePolicySpec('scripted+noise:0.3')).toEqual({ kind: 'noise', base: 'scripted', std: 0.3 });
    expect(parsePolicySpec('random+down:0.9')).toEqual({ kind: 'random', down: 0.9, close: null, hold: 0 });
    expect(parsePolicySpec('mixture:scripted+noise:0.3=0.8,random+down:0.9=0.2')).toEqual({
      kind: 'mixture',
      components: [
        { spec: { kind: 'noise', base: 'scripted', std: 0.3 }, weight: 0.8 },
        { spec: { kind: 'random', down: 0.9, close: null, hold: 0 }, weight: 0.2 },
      ],
    });
    expect(parsePolicySpec('random+down:0.9+close:0.1')).toEqual({ kind: 'random', down: 0.9, close: 0.1, hold: 0 });
    expect(parsePolicySpec('random+close:0')).toEqual({ kind: 'random', down: 0, close: 0, hold: 0 });
    expect(parsePolicySpec('random+down:0.9+close:0+hold:2')).toEqual({ kind: 'random', down: 0.9, close: 0, hold: 2 });
    expect(parsePolicySpec('checkpoint:runs/a/ckpt')).toEqual({ kind: 'checkpoint', path: 'runs/a/ckpt' });
    expect(parsePolicySpec('reach+aim:0.03')).toEqual({ kind: 'aimed-reach', spread: 0.03, alignedYaw: 0 });
    expect(buildPolicy(parsePolicySpec('reach+aim:0.03'), scene).name).toBe('reach+aim:0.03');
    expect(parsePolicySpec('reach+aim:0.03+yaw:0.5')).toEqual({ kind: 'aimed-reach', spread: 0.03, alignedYaw: 0.5 });
    expect(buildPolicy(parsePolicySpec('reach+aim:0.03+yaw:0.5'), scene).name).toBe('reach+aim:0.03+yaw:0.5');
  });

  it('refuses malformed specs with one line naming the problem', () => {
    const cases: [string, RegExp][] = [
      ['scripty', /unknown policy 'scripty'/],
      ['mixture:scripted=0.3,random=0.6', /weights must sum to 1/],
      ['mixture:scripted=0.5,scripted=0.5', /names a policy twice/],
      ['mixture:scripted', /must be SPEC=WEIGHT/],
      ['mixture:scripted+eps:2=0.5,random=0.5', /eps must be a number in \[0, 1\]/],
      ['scripted+down:0.5', /\+down applies to the random policy only/],
      ['scripted+close:0.5', /\+close applies to the random policy only/],
      ['random+down:0.5+down:0.6', /\+down given twice/],
      ['random+close:2', /close must be a number in \[0, 1\]/],
      ['scripted+noise:0.1+eps:0.1', /only the random policy \(\+down, \+close, \+hold\) and the aimed reach/],
      ['reach+yaw:0.5', /\+yaw follows \+aim/],
      ['reach+yaw:0.5+aim:0.03', /only the random policy .* and the aimed reach \(\+aim then \+yaw\)/],
      ['reach+aim:0.03+yaw:2', /yaw must be a number in \[0, 1\]/],
      ['scripted+hold:2', /\+hold applies to the random policy only/],
      ['random+hold:1.5', /hold must be a whole number of steps >= 0/],
      ['random+hold:2+hold:3', /\+hold given twice/],
      ['scripted+noise:-1', /noise must be a number >= 0/],
      ['scripted+aim:0.03', /\+aim applies to the reach policy only/],
      ['reach+aim:-0.1', /aim must be a number >= 0/],
      ['scripted+wobble:1', /unknown modifier '\+wobble'/],
      ['scripted+eps:1.5', /eps must be a number in \[0, 1\]/],
      ['scripted+eps:', /eps must be a number/],
      ['Scripted!', /--policy must be/],
    ];
    for (const [text, pattern] of cases) {
      let error: unknown;
      try {
        parsePolicySpec(text);
      } catch (err) {
        error = err;
      }
      expect(error, text).toBeInstanceOf(PolicySpecError);
      expect((error as Error).message, text).toMatch(pattern);
      expect((error as Error).message.includes('\n')).toBe(false);
    }
  });

  it('+hold keeps x, y and yaw still in the last K steps only, with the same draws as without it', () => {
    const held = buildPolicy(parsePolicySpec('random+down:0.9+hold:2'), scene);
    const free = buildPolicy(parsePolicySpec('random+down:0.9'), scene);
    held.reset(new Rng(3));
    free.reset(new Rng(3));
    const last = scene.episode.maxSteps;
    for (let step = 0; step < last; step++) {
      const a = held.act(obs, { step } as StepInfo);
      const b = free.act(obs, { step } as StepInfo);
      const holding = step >= last - 2;
      for (const d of [0, 1, 3]) expect(a[d], `step ${step} dim ${d}`).toBe(holding ? 0 : b[d]);
      for (const d of [2, 4, 5]) expect(a[d], `step ${step} dim ${d}`).toBe(b[d]);
      if (!holding) expect(Math.abs(a[0]!) + Math.abs(a[1]!)).toBeGreaterThan(0);
    }
  });

  it('leaves a checkpoint to the collector process that loads it (buildPolicy stays synchronous and tfjs-free)', () => {
    expect(() => buildPolicy(parsePolicySpec('checkpoint:x'), scene)).toThrow(/loaded by a collector process/);
  });
});

describe('composed policies', () => {
  const info = {} as StepInfo;

  it('a mixture draws its component per episode by weight, from the episode rng alone', () => {
    const policy = buildPolicy(parsePolicySpec('mixture:scripted=0.3,random=0.7'), scene);
    const names: string[] = [];
    for (let i = 0; i < 2000; i++) {
      policy.reset(new Rng(deriveSeed(5, i)));
      names.push(policy.name);
    }
    const scripted = names.filter((n) => n === 'scripted').length / names.length;
    // Binomial std at n = 2000, p = 0.3 is 0.010; 4 std either side.
    expect(Math.abs(scripted - 0.3)).toBeLessThan(0.041);
    expect(new Set(names)).toEqual(new Set(['scripted', 'random']));
    const again: string[] = [];
    for (let i = 0; i < 50; i++) {
      policy.reset(new Rng(deriveSeed(5, i)));
      again.push(policy.name);
    }
    expect(again).toEqual(names.slice(0, 50));
  });

  it('random+eps:0 acts like its base and random+eps:1 replaces every action, deterministically per seed', () => {
    const run = (spec: string, seed: number) => {
      const p = buildPolicy(parsePolicySpec(spec), scene);
      p.reset(new Rng(seed));
      return Array.from({ length: 10 }, () => Array.from(p.act(obs, info)));
    };
    expect(run('random+eps:0.3', 9)).toEqual(run('random+eps:0.3', 9));
    const base = run('random+eps:0', 9);
    const explored = run('random+eps:1', 9);
    expect(base).not.toEqual(explored);
    // With eps 0.5 each step comes from one of the two streams above, and both occur.
    const half = run('random+eps:0.5', 9);
    const fromBase = half.filter((a, t) => JSON.stringify(a) === JSON.stringify(base[t])).length;
    const fromRandom = half.filter((a, t) => JSON.stringify(a) === JSON.stringify(explored[t])).length;
    expect(fromBase + fromRandom).toBe(10);
    expect(fromBase).toBeGreaterThan(0);
    expect(fromRandom).toBeGreaterThan(0);
  });

  it('+noise perturbs every dim within [-1, 1]; +down moves straight down at about the given rate', () => {
    const run = (spec: string, seed: number, steps = 10) => {
      const p = buildPolicy(parsePolicySpec(spec), scene);
      p.reset(new Rng(seed));
      return Array.from({ length: steps }, () => Array.from(p.act(obs, info)));
    };
    // The base draws from the same forked stream whatever the std, so noise:0 is the base's own action.
    const clean = run('random+noise:0', 4).flat();
    const noisy = run('random+noise:0.5', 4).flat();
    expect(run('random+noise:0.5', 4).flat()).toEqual(noisy);
    expect(noisy.every((x) => x >= -1 && x <= 1)).toBe(true);
    const moved = noisy.filter((x, i) => x !== clean[i]).length;
    expect(moved).toBeGreaterThan(noisy.length * 0.6);
    const down = run('random+down:0.9', 7, 2000).filter((a) => a[2] === -1).length / 2000;
    // The base's own dz is uniform, so dz = -1 comes only from the modifier; binomial std 0.0067, 4 std either side.
    expect(Math.abs(down - 0.9)).toBeLessThan(0.027);
  });
});
