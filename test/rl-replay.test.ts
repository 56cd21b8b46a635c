import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Rng } from '../src/random/index.js';
import {
  ReplayBuffer,
  replayBytes,
  replayBytesPerSlot,
  replayConfig,
  resolveReplayConfig,
  SumTree,
  type ReplayBatch,
  type ReplayConfig,
} from '../src/rl/index.js';

function config(over: Partial<ReplayConfig> = {}): ReplayConfig {
  return resolveReplayConfig({
    capacity: 16,
    imageShape: [1, 1, 2],
    vectorDim: 1,
    action: { kind: 'discrete', n: 4 },
    gamma: 0.5,
    nStep: 1,
    prioritized: false,
    priorityAlpha: 0.6,
    priorityEpsilon: 1e-6,
    ...over,
  });
}

/** Observation number v: image bytes [v, 255 - v], vector [v]; so any mix-up of frames shows. */
function obs(v: number) {
  return { image: new Uint8Array([v, 255 - v]), vector: [v] };
}

/** Add one episode whose step t observes `base + t` and whose final frame is `base + rewards.length`. */
function addEpisode(buf: ReplayBuffer, base: number, rewards: number[], end: 'terminated' | 'truncated') {
  for (let t = 0; t < rewards.length; t++) {
    const last = t === rewards.length - 1;
    buf.add(obs(base + t), t % 4, rewards[t], last && end === 'terminated', last && end === 'truncated', last ? obs(base + rewards.length) : undefined);
  }
}

interface Row {
  obs: number;
  next: number;
  reward: number;
  discount: number;
  steps: number;
  action: number;
  /** The action stored with the bootstrap observation. */
  nextAction: number;
}

/** Sample many times and collect each distinct transition (keyed by its observation). */
function collect(buf: ReplayBuffer, seed = 1, draws = 8): Map<number, Row> {
  const rng = new Rng(seed);
  const batch: ReplayBatch = buf.createBatch(64);
  const rows = new Map<number, Row>();
  for (let d = 0; d < draws; d++) {
    buf.sample(rng, batch);
    for (let b = 0; b < batch.size; b++) {
      const row: Row = {
        obs: batch.vectors[b],
        next: batch.nextVectors[b],
        reward: batch.rewards[b],
        discount: batch.discounts[b],
        steps: batch.steps[b],
        action: batch.actions[b],
        nextAction: batch.nextActions[b],
      };
      // The image and vector parts must come from the same frame.
      expect([batch.images[2 * b], batch.images[2 * b + 1]]).toEqual([row.obs, 255 - row.obs]);
      expect([batch.nextImages[2 * b], batch.nextImages[2 * b + 1]]).toEqual([row.next, 255 - row.next]);
      const seen = rows.get(row.obs);
      if (seen) expect(seen).toEqual(row);
      rows.set(row.obs, row);
    }
  }
  return rows;
}

describe('replay ring buffer', () => {
  it('stores each frame once and reconstructs next observations across episode ends', () => {
    const buf = new ReplayBuffer(config());
    addEpisode(buf, 10, [1, 2, 3], 'terminated'); // slots 0-2 steps, slot 3 final frame 13
    addEpisode(buf, 20, [5, 6], 'truncated'); // slots 4-5 steps, slot 6 final frame 22
    // 5 steps + 2 final frames = 7 frames: nothing duplicated.
    expect(buf.size).toBe(7);
    expect(buf.validCount).toBe(5);
    const rows = collect(buf);
    expect([...rows.keys()].sort((a, b) => a - b)).toEqual([10, 11, 12, 20, 21]);
    expect(rows.get(10)).toEqual({ obs: 10, next: 11, reward: 1, discount: 0.5, steps: 1, action: 0, nextAction: 1 });
    // Terminal step: next is the stored final frame, and no bootstrap.
    expect(rows.get(12)).toMatchObject({ obs: 12, next: 13, reward: 3, discount: 0, steps: 1, action: 2 });
    // Truncated step: bootstrap from the final frame with γ.
    // (A final frame has no action of its own, so nextAction is not asserted for these two.)
    expect(rows.get(21)).toMatchObject({ obs: 21, next: 22, reward: 6, discount: 0.5, steps: 1, action: 1 });
  });

  it.each([
    ['one image page', undefined],
    ['pages of 3 frames', 6],
  ])('keeps next-observation pairs exact through wraparound (%s)', (_, pageBytes) => {
    const buf = new ReplayBuffer(config({ capacity: 10 }), pageBytes);
    // Episodes of 3 steps use 4 slots; 5 episodes = 20 writes, twice around a 10-slot ring.
    for (let e = 0; e < 5; e++) addEpisode(buf, 10 * (e + 1), [e, e, e], e % 2 ? 'truncated' : 'terminated');
    expect(buf.size).toBe(10);
    // Episode e (0-based) occupies writes 4e+1..4e+4; the ring keeps writes 11..20:
    // episode 2's [32, final 33], episode 3's [40, 41, 42, final 43], episode 4's [50, 51, 52, final 53].
    // Transitions whose start and next are both retained: 32, 40, 41, 42, 50, 51, 52.
    const rows = collect(buf);
    expect([...rows.keys()].sort((a, b) => a - b)).toEqual([32, 40, 41, 42, 50, 51, 52]);
    for (const row of rows.values()) expect(row.next).toBe(row.obs + 1);
    expect(rows.get(32)?.discount).toBe(0); // episode 2 terminated
    expect(rows.get(42)?.discount).toBe(0.5); // episode 3 truncated
    expect(buf.validCount).toBe(7);
  });

  it('does not sample a step whose next observation has not arrived', () => {
    const buf = new ReplayBuffer(config());
    buf.add(obs(1), 0, 0, false, false);
    expect(buf.validCount).toBe(0);
    expect(() => buf.sample(new Rng(0), buf.createBatch(1))).toThrow(/no complete transitions/);
    buf.add(obs(2), 0, 0, false, false);
    expect(buf.validCount).toBe(1);
  });

  it('refuses a finished step without its final observation, and mis-shaped input, before writing', () => {
    const buf = new ReplayBuffer(config());
    expect(() => buf.add(obs(1), 0, 0, true, false)).toThrow(/finalObs is required/);
    expect(() => buf.add({ image: new Uint8Array(3), vector: [1] }, 0, 0, false, false)).toThrow(/image must have 2 bytes/);
    expect(() => buf.add(obs(1), 7, 0, false, false)).toThrow(/integer in \[0, 4\)/);
    expect(buf.size).toBe(0);
  });

  it('is deterministic for a seed', () => {
    const fill = () => {
      const buf = new ReplayBuffer(config({ capacity: 64 }));
      for (let e = 0; e < 8; e++) addEpisode(buf, 10 * e, [1, 0, 1, 0, 1], 'terminated');
      return buf;
    };
    const a = fill().createBatch(32);
    const b = fill().createBatch(32);
    fill().sample(new Rng(42), a);
    fill().sample(new Rng(42), b);
    expect(a.indices).toEqual(b.indices);
  });
});

describe('n-step returns', () => {
  // γ = 0.5, n = 3, rewards r0..r3 = 1, 2, 3, 4, final frame 14.
  //   from step 0: 1 + 0.5·2 + 0.25·3 = 2.75, k = 3, bootstrap obs 13 (step 3), discount 0.5³ = 0.125
  //   from step 1: 2 + 0.5·3 + 0.25·4 = 4.5,  k = 3, bootstrap the final frame 14
  //   from step 2: 3 + 0.5·4 = 5,            k = 2, bootstrap 14
  //   from step 3: 4,                        k = 1, bootstrap 14
  // Terminated: every chain that reaches step 3 has discount 0. Truncated: γ^k.
  const rewards = [1, 2, 3, 4];

  it('stops at termination without bootstrapping', () => {
    const buf = new ReplayBuffer(config({ nStep: 3 }));
    addEpisode(buf, 10, rewards, 'terminated');
    const rows = collect(buf);
    // Step t acts t % 4, so the bootstrap observation 13 (t = 3) was followed by action 3.
    expect(rows.get(10)).toMatchObject({ reward: 2.75, steps: 3, next: 13, discount: 0.125, nextAction: 3 });
    expect(rows.get(11)).toMatchObject({ reward: 4.5, steps: 3, next: 14, discount: 0 });
    expect(rows.get(12)).toMatchObject({ reward: 5, steps: 2, next: 14, discount: 0 });
    expect(rows.get(13)).toMatchObject({ reward: 4, steps: 1, next: 14, discount: 0 });
  });

  it('bootstraps from the final frame at truncation with γ^k', () => {
    const buf = new ReplayBuffer(config({ nStep: 3 }));
    addEpisode(buf, 10, rewards, 'truncated');
    const rows = collect(buf);
    expect(rows.get(10)).toMatchObject({ reward: 2.75, steps: 3, next: 13, discount: 0.125 });
    expect(rows.get(11)).toMatchObject({ reward: 4.5, steps: 3, next: 14, discount: 0.125 });
    expect(rows.get(12)).toMatchObject({ reward: 5, steps: 2, next: 14, discount: 0.25 });
    expect(rows.get(13)).toMatchObject({ reward: 4, steps: 1, next: 14, discount: 0.5 });
  });

  it('never sums rewards across an episode boundary', () => {
    const buf = new ReplayBuffer(config({ nStep: 3 }));
    addEpisode(buf, 10, [1, 1], 'terminated');
    addEpisode(buf, 20, [100, 100, 100], 'terminated');
    const rows = collect(buf);
    // from 11: only r = 1 (the episode ends there), not 1 + 0.5·100.
    expect(rows.get(11)).toMatchObject({ reward: 1, steps: 1, next: 12, discount: 0 });
    expect(rows.get(10)).toMatchObject({ reward: 1.5, steps: 2, next: 12, discount: 0 });
  });

  it('waits for n steps (or the episode end) before a transition can be sampled', () => {
    const buf = new ReplayBuffer(config({ nStep: 3 }));
    buf.add(obs(1), 0, 0, false, false);
    buf.add(obs(2), 0, 0, false, false);
    buf.add(obs(3), 0, 0, false, false);
    expect(buf.validCount).toBe(0); // step 0 needs obs 4 to bootstrap from
    buf.add(obs(4), 0, 0, false, false);
    expect(buf.validCount).toBe(1);
    buf.add(obs(5), 0, 0, false, true, obs(6)); // truncation completes every pending chain
    expect(buf.validCount).toBe(5);
  });
});

describe('replay against a brute-force reference', () => {
  it('matches every n-step transition through many wraparounds, episode ends and truncations', () => {
    // Random episode lengths (1-7) and endings into a 37-slot ring, n = 3, γ = 0.5. The reference
    // keeps every write in absolute time and recomputes each retained transition from scratch.
    const C = 37;
    const n = 3;
    const gamma = 0.5;
    const buf = new ReplayBuffer(config({ capacity: C, nStep: n, gamma, imageShape: null }));
    const rng = new Rng(11);
    type Write = { id: number; step: boolean; reward: number; terminated: boolean; truncated: boolean };
    const writes: Write[] = [];
    let id = 0;
    for (let e = 0; e < 60; e++) {
      const len = rng.int(1, 7);
      const end = rng.bernoulli(0.5) ? 'terminated' : 'truncated';
      for (let t = 0; t < len; t++) {
        const last = t === len - 1;
        const w: Write = { id: id++, step: true, reward: rng.int(0, 8), terminated: last && end === 'terminated', truncated: last && end === 'truncated' };
        writes.push(w);
        const finalId = last ? id++ : -1;
        buf.add({ vector: [w.id] }, 0, w.reward, w.terminated, w.truncated, last ? { vector: [finalId] } : undefined);
        if (last) writes.push({ id: finalId, step: false, reward: 0, terminated: false, truncated: false });
      }
      const expected = new Map<number, Row>();
      for (let a = Math.max(0, writes.length - C); a < writes.length; a++) {
        if (!writes[a].step) continue;
        let reward = 0;
        let g = 1;
        let k = 0;
        let terminated = false;
        while (k < n) {
          const w = writes[a + k];
          reward += g * w.reward;
          g *= gamma;
          k++;
          if (w.terminated) terminated = true;
          if (w.terminated || w.truncated) break;
        }
        if (a + k >= writes.length) continue; // bootstrap frame not written yet
        expected.set(writes[a].id, { obs: writes[a].id, next: writes[a + k].id, reward, discount: terminated ? 0 : g, steps: k, action: 0 });
      }
      expect(buf.validCount).toBe(expected.size);
      if (expected.size === 0) continue;
      const rows = new Map<number, Row>();
      const batch = buf.createBatch(64);
      for (let d = 0; d < 6; d++) {
        buf.sample(rng, batch);
        for (let b = 0; b < batch.size; b++) {
          rows.set(batch.vectors[b], {
            obs: batch.vectors[b],
            next: batch.nextVectors[b],
            reward: batch.rewards[b],
            discount: batch.discounts[b],
            steps: batch.steps[b],
            action: batch.actions[b],
          });
        }
      }
      for (const [key, row] of rows) expect(row).toEqual(expected.get(key));
      // 384 draws over at most 36 transitions: every one should have been seen.
      expect(rows.size).toBe(expected.size);
    }
  });
});

describe('prioritized replay', () => {
  it('sum tree finds the leaf holding a prefix mass', () => {
    const tree = new SumTree(5);
    [1, 0, 2, 3, 4].forEach((p, i) => tree.set(i, p));
    expect(tree.total()).toBe(10);
    // Prefix sums: [0,1) → 0, [1,3) → 2 (leaf 1 is empty), [3,6) → 3, [6,10) → 4.
    expect([0, 0.99, 1, 2.99, 3, 5.99, 6, 9.99].map((m) => tree.find(m))).toEqual([0, 0, 2, 2, 3, 3, 4, 4]);
    // Rounding past the top still lands on a non-empty leaf.
    expect(tree.find(10 + 1e-9)).toBe(4);
  });

  function perBuffer(alpha: number) {
    const buf = new ReplayBuffer(config({ capacity: 32, prioritized: true, priorityAlpha: alpha }));
    addEpisode(buf, 10, [0, 0, 0, 0], 'terminated'); // slots 0-3 steps, 4 final
    return buf;
  }

  it('gives new transitions the max priority and updates from |δ| + ε', () => {
    const buf = perBuffer(1);
    for (let i = 0; i < 4; i++) expect(buf.priority(i)).toBe(1); // initial max priority 1
    expect(buf.priority(4)).toBe(0); // a final frame is never sampled
    buf.updatePriorities([0, 1], [-3, 0.5]);
    expect(buf.priority(0)).toBeCloseTo(3 + 1e-6, 12);
    expect(buf.priority(1)).toBeCloseTo(0.5 + 1e-6, 12);
    addEpisode(buf, 20, [0], 'terminated'); // slot 5: the max seen so far, 3 + ε
    expect(buf.priority(5)).toBeCloseTo(3 + 1e-6, 12);
    expect(() => buf.updatePriorities([2], [NaN])).toThrow(/TD error NaN at row 0 is not finite/);
  });

  it('samples in proportion to p^α and weights by (P_min / P)^β', () => {
    const alpha = 0.5;
    const buf = perBuffer(alpha);
    // |δ| = 1, 4, 9, 16 → p^α ≈ 1, 2, 3, 4 → P ≈ 0.1, 0.2, 0.3, 0.4
    buf.updatePriorities([0, 1, 2, 3], [1 - 1e-6, 4 - 1e-6, 9 - 1e-6, 16 - 1e-6]);
    const rng = new Rng(7);
    const batch = buf.createBatch(50);
    const counts = [0, 0, 0, 0];
    const draws = 400;
    const beta = 0.4;
    for (let d = 0; d < draws; d++) {
      buf.sample(rng, batch, beta);
      for (let b = 0; b < batch.size; b++) {
        const i = batch.indices[b];
        counts[i]++;
        // w = (P_min / P_i)^β with P_min = 0.1
        expect(batch.weights[b]).toBeCloseTo(Math.pow(1 / (i + 1), beta), 5);
      }
    }
    const n = draws * batch.size;
    for (let i = 0; i < 4; i++) {
      const p = (i + 1) / 10;
      // Stratified sampling has less variance than multinomial; 4 binomial σ is a loose bound.
      expect(Math.abs(counts[i] / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
    }
  });

  it('ignores priority updates for slots overwritten since sampling', () => {
    const buf = new ReplayBuffer(config({ capacity: 6, prioritized: true, priorityAlpha: 1 }));
    addEpisode(buf, 10, [0, 0], 'terminated'); // slots 0, 1, final 2
    addEpisode(buf, 20, [0, 0, 0], 'terminated'); // slots 3, 4, 5, final wraps to 0
    expect(buf.priority(0)).toBe(0); // slot 0 is now a final frame
    buf.updatePriorities([0], [5]);
    expect(buf.priority(0)).toBe(0);
  });
});

describe('replay memory', () => {
  it('allocates exactly the per-slot formula', () => {
    expect(new ReplayBuffer(config({ capacity: 10 }), 6).bytesAllocated()).toBe(replayBytes(config({ capacity: 10 })));
    for (const over of [
      { imageShape: [8, 8, 3] as const, vectorDim: 3, action: { kind: 'continuous', dim: 6 } as const },
      { imageShape: null, vectorDim: 4, action: { kind: 'discrete', n: 2 } as const, prioritized: true },
    ]) {
      const cfg = config({ capacity: 100, ...over });
      const buf = new ReplayBuffer(cfg);
      expect(buf.bytesAllocated()).toBe(replayBytes(cfg));
    }
    // 8·8·3 image + 3 floats + 6 floats + reward + flags = 192 + 12 + 24 + 4 + 1
    expect(replayBytesPerSlot(config({ imageShape: [8, 8, 3], vectorDim: 3, action: { kind: 'continuous', dim: 6 } }))).toBe(233);
    // PER on 100 slots: two float64 trees of 2·128 nodes = 4096 bytes on top.
    const per = config({ capacity: 100, imageShape: null, vectorDim: 4, prioritized: true });
    expect(replayBytes(per)).toBe(100 * (16 + 4 + 4 + 1) + 4096);
  });

  it('fits a million 64×64×3 transitions in under 14 GB, measured on a real buffer', async () => {
    // The grasp layout: 64×64×3 frames, state [aperture, closed, height], 6-d continuous actions, PER.
    const N = 8192; // a power of two, so the PER trees hold exactly 2·2N nodes, as they will at 1M
    const grasp = { imageShape: [64, 64, 3] as const, vectorDim: 3, action: { kind: 'continuous', dim: 6 } as const };
    // V8 frees dead ArrayBuffers' memory on a background thread after a collection, so under load
    // the counter keeps falling for a while: collect, then read until two readings agree.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const settledArrayBuffers = async (): Promise<number> => {
      let previous = -1;
      for (let i = 0; i < 100; i++) {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 5));
        const now = process.memoryUsage().arrayBuffers;
        if (now === previous) return now;
        previous = now;
      }
      return previous;
    };
    const measure = async (prioritized: boolean) => {
      const before = await settledArrayBuffers();
      const buf = new ReplayBuffer(replayConfig({ capacity: N, ...grasp, gamma: 0.9, prioritized }));
      const grown = (await settledArrayBuffers()) - before;
      return { buf, grown };
    };
    // Both stay referenced until the end, so neither is collected while the other is measured.
    const uniform = await measure(false);
    const per = await measure(true);
    for (const { buf, grown } of [uniform, per]) {
      // What V8 reports agrees with the typed arrays' own byte lengths (within 1 %: other allocations are noise).
      expect(Math.abs(grown - buf.bytesAllocated())).toBeLessThan(0.01 * buf.bytesAllocated());
    }
    // Fill the uniform buffer with 15-step episodes (Quillen et al.'s length; 16 slots each) and
    // check that adding allocates nothing that stays.
    const image = new Uint8Array(64 * 64 * 3);
    const before = await settledArrayBuffers();
    const episodes = N / 16;
    for (let e = 0; e < episodes; e++) {
      for (let t = 0; t < 15; t++) {
        image.fill((e + t) & 255);
        uniform.buf.add({ image, vector: [0.08, 0, 0.1] }, [0, 0, -1, 0, 0, 0], 0, t === 14, false, t === 14 ? { image, vector: [0.08, 1, 0.2] } : undefined);
      }
    }
    expect(uniform.buf.validCount).toBe(episodes * 15);
    expect((await settledArrayBuffers()) - before).toBeLessThan(1e6);

    // Extrapolate the measured bytes to 1M transitions of 15-step episodes: 16/15 slots per
    // transition, and PER trees over the next power of two of that (2^21 leaves).
    const perSlot = uniform.grown / N;
    const treesPerLeaf = (per.grown - uniform.grown) / N;
    const slots = Math.ceil((1_000_000 * 16) / 15);
    const leaves = 2 ** Math.ceil(Math.log2(slots));
    const uniformBytes = slots * perSlot;
    const perBytes = uniformBytes + leaves * treesPerLeaf;
    expect(perSlot).toBeGreaterThan(64 * 64 * 3); // the frame alone: the measurement saw the images
    expect(uniformBytes).toBeLessThan(14e9);
    expect(perBytes).toBeLessThan(14e9);
  });
});

describe('replay config', () => {
  it('names the bad field in a one-line error', () => {
    expect(() => config({ gamma: 1.5 })).toThrow(/^replay config: gamma: /);
    expect(() => config({ capacity: 2, nStep: 3 })).toThrow(/capacity: must exceed nStep \+ 1/);
  });

  it('builds from its own settings without a DqnConfig (continuous actions), 1-step uniform by default', () => {
    const c = replayConfig({ capacity: 100, imageShape: [64, 64, 3], vectorDim: 3, action: { kind: 'continuous', dim: 6 }, gamma: 0.9 });
    expect(c).toEqual({
      capacity: 100,
      imageShape: [64, 64, 3],
      vectorDim: 3,
      action: { kind: 'continuous', dim: 6 },
      gamma: 0.9,
      nStep: 1,
      prioritized: false,
      priorityAlpha: 0.6,
      priorityEpsilon: 1e-6,
    });
    expect(Object.isFrozen(c)).toBe(true);
    const buf = new ReplayBuffer(c);
    buf.add({ image: new Uint8Array(64 * 64 * 3), vector: [0.08, 0, 0.2] }, [0, 0, -1, 0, 1, 1], 1, true, false, { image: new Uint8Array(64 * 64 * 3), vector: [0.02, 1, 0.3] });
    expect(buf.validCount).toBe(1);
    expect(() => replayConfig({ capacity: 100, imageShape: null, vectorDim: 3, action: { kind: 'continuous', dim: 0 }, gamma: 0.9 }, 'qtopt config replay')).toThrow(
      /^qtopt config replay: action\.dim: /,
    );
  });
});
