import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STATE_NAMES } from '../src/env/index.js';
import { DatasetReader, DatasetWriter, fillReplay, prepareEpisode, replayShapeOf, type DatasetSpec } from '../src/data/index.js';
import { Rng } from '../src/random/index.js';
import { ReplayBuffer, resolveReplayConfig } from '../src/rl/index.js';
import { synthEpisode } from './data-synth.js';

const root = mkdtempSync(join(tmpdir(), 'pincer-data-replay-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const spec: DatasetSpec = { camera: 'shoulder', imageWidth: 16, imageHeight: 12, fps: 4, task: 'grasp', robotType: 'pincer_gripper', stateNames: STATE_NAMES };
const GAMMA = 0.9;

describe('fillReplay', () => {
  it('pours every transition into the replay buffer with exact images, actions, rewards and next frames', async () => {
    const dir = join(root, 'ds');
    const w = DatasetWriter.create(dir, spec, {});
    const episodes = [4, 6, 3].map((T, i) => synthEpisode(200 + i, T, 16, 12));
    for (const e of episodes) w.append(prepareEpisode(e));
    w.close();
    const reader = DatasetReader.open(dir);
    const replay = new ReplayBuffer(
      resolveReplayConfig({ capacity: 64, ...replayShapeOf(spec), gamma: GAMMA, nStep: 1, prioritized: false, priorityAlpha: 0.6, priorityEpsilon: 1e-6 }),
    );
    expect(await fillReplay(reader, replay)).toEqual({ episodes: 3, transitions: 13 });

    // Index the source transitions by their observation image.
    const key = (img: Uint8Array) => Buffer.from(img).toString('base64');
    const source = new Map<string, { action: number[]; reward: number; next: string | null }>();
    for (const e of episodes) {
      e.steps.forEach((s, t) => {
        const next = t + 1 < e.steps.length ? key(e.steps[t + 1].observation.image) : null;
        source.set(key(s.observation.image), { action: Array.from(s.action), reward: Math.fround(s.reward), next });
      });
    }
    const B = 256;
    const batch = replay.createBatch(B);
    replay.sample(new Rng(1), batch);
    const frame = 16 * 12 * 3;
    const seen = new Set<string>();
    for (let b = 0; b < B; b++) {
      const k = key(batch.images.subarray(b * frame, (b + 1) * frame));
      const src = source.get(k);
      expect(src, `sample ${b} is not a dataset transition`).toBeDefined();
      seen.add(k);
      expect(Array.from(batch.actions.subarray(b * 6, (b + 1) * 6))).toEqual(src!.action);
      expect(batch.rewards[b]).toBe(src!.reward);
      if (src!.next === null) {
        // The final grasp ends the episode: no bootstrap.
        expect(batch.discounts[b]).toBe(0);
      } else {
        expect(batch.discounts[b]).toBeCloseTo(GAMMA, 6);
        expect(key(batch.nextImages.subarray(b * frame, (b + 1) * frame))).toBe(src!.next);
      }
    }
    // 256 uniform draws over 13 transitions miss one with probability < 13·(12/13)^256 ≈ 1e-8.
    expect(seen.size).toBe(13);
  });

  it('refuses a replay buffer built for another image size', async () => {
    const dir = join(root, 'ds2');
    const w = DatasetWriter.create(dir, spec, {});
    w.append(prepareEpisode(synthEpisode(300, 3, 16, 12)));
    w.close();
    const replay = new ReplayBuffer(
      resolveReplayConfig({ capacity: 16, imageShape: [64, 64, 3], vectorDim: 3, action: { kind: 'continuous', dim: 6 }, gamma: GAMMA, nStep: 1, prioritized: false, priorityAlpha: 0.6, priorityEpsilon: 1e-6 }),
    );
    await expect(fillReplay(DatasetReader.open(dir), replay)).rejects.toThrow(/holds images 12x16x3.*replay buffer takes images 64x64x3/);
  });
});
