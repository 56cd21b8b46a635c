/**
 * observation.state across dataset generations: a dataset written now stores the
 * 6 values [aperture, closed, height, x, y, yaw]; one collected before x, y and yaw
 * were recorded stores 3, still reads and validates, and is refused, in one line
 * naming what it lacks, by a consumer whose network reads 6.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetReader, DatasetWriter, fillReplay, prepareEpisode, validateDataset, type DatasetSpec } from '../src/data/index.js';
import { STATE_NAMES, type EpisodeRecord } from '../src/env/index.js';
import { Rng } from '../src/random/index.js';
import { ReplayBuffer, resolveReplayConfig } from '../src/rl/index.js';
import { cli, ensureBuilt } from './built-cli.js';
import { synthEpisode } from './data-synth.js';

const root = mkdtempSync(join(tmpdir(), 'pincer-data-state-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const spec: DatasetSpec = { camera: 'shoulder', imageWidth: 16, imageHeight: 12, fps: 4, task: 'grasp', robotType: 'pincer_gripper', stateNames: STATE_NAMES };
const OLD_NAMES = ['aperture', 'closed', 'height'];
const SEEDS = [5, 6];
const episodes = SEEDS.map((s) => synthEpisode(s, 4));

function write(name: string, stateNames: readonly string[]): string {
  const dir = join(root, name);
  const w = DatasetWriter.create(dir, { ...spec, stateNames }, {});
  for (const e of episodes) w.append(prepareEpisode(e));
  w.close();
  return dir;
}

/** A dataset as pincer wrote it before x, y and yaw: 3 state values, and a meta/pincer.json without stateNames. */
function writeOld(name: string): string {
  const dir = write(name, OLD_NAMES);
  const header = JSON.parse(readFileSync(join(dir, 'meta/pincer.json'), 'utf8'));
  delete header.spec.stateNames;
  writeFileSync(join(dir, 'meta/pincer.json'), `${JSON.stringify(header, null, 2)}\n`);
  return dir;
}

function replay(vectorDim: number): ReplayBuffer {
  return new ReplayBuffer(
    resolveReplayConfig({ capacity: 32, imageShape: [12, 16, 3], vectorDim, action: { kind: 'continuous', dim: 6 }, gamma: 0.9, nStep: 1, prioritized: false, priorityAlpha: 0.6, priorityEpsilon: 1e-6 }),
  );
}

/** Every replay vector [V] sampled from `buffer`, keyed by its image, against the source episodes' first V state values. */
function expectVectors(buffer: ReplayBuffer, vectorDim: number, source: EpisodeRecord[]): void {
  const key = (img: Uint8Array) => Buffer.from(img).toString('base64');
  const want = new Map<string, number[]>();
  for (const e of source) {
    for (const { observation: o } of e.steps) want.set(key(o.image), [o.aperture, o.closed ? 1 : 0, o.height, o.x, o.y, o.yaw].slice(0, vectorDim).map(Math.fround));
  }
  const batch = buffer.createBatch(64);
  buffer.sample(new Rng(1), batch);
  const frame = 16 * 12 * 3;
  for (let b = 0; b < batch.size; b++) {
    expect(Array.from(batch.vectors.subarray(b * vectorDim, (b + 1) * vectorDim))).toEqual(want.get(key(batch.images.subarray(b * frame, (b + 1) * frame))));
  }
}

describe('observation.state', () => {
  it('a dataset written now stores aperture, closed, height, x, y and yaw, and reads them back', async () => {
    const dir = write('now', STATE_NAMES);
    const info = JSON.parse(readFileSync(join(dir, 'meta/info.json'), 'utf8'));
    expect(info.features['observation.state']).toEqual({ dtype: 'float32', shape: [6], names: ['aperture', 'closed', 'height', 'x', 'y', 'yaw'] });
    const stats = JSON.parse(readFileSync(join(dir, 'meta/stats.json'), 'utf8'));
    expect(stats['observation.state'].mean).toHaveLength(6);
    const reader = DatasetReader.open(dir, { stateDim: 6 });
    for await (const ep of reader.episodes()) {
      ep.steps.forEach((step, t) => {
        const src = episodes[ep.episodeIndex].steps[t].observation;
        const o = step.observation;
        expect([o.aperture, o.closed, o.height, o.x, o.y, o.yaw]).toEqual([Math.fround(src.aperture), src.closed, Math.fround(src.height), Math.fround(src.x), Math.fround(src.y), Math.fround(src.yaw)]);
      });
    }
    for (const dim of [0, 3, 6]) {
      const buffer = replay(dim);
      await fillReplay(reader, buffer);
      expectVectors(buffer, dim, episodes);
    }
    expect(await validateDataset(dir)).toMatchObject({ ok: true, errors: [] });
  });

  it('an old 3-value dataset reads for stateDim 3 (x, y, yaw NaN), validates, resumes 3 wide, and is refused for stateDim 6 in one line', async () => {
    const dir = writeOld('old');
    const refusal = `${dir}: observation.state has [aperture, closed, height]; the network's stateDim 6 needs x, y, yaw: collect it again`;
    expect(() => DatasetReader.open(dir, { stateDim: 6 })).toThrow(refusal);
    const reader = DatasetReader.open(dir, { stateDim: 3 });
    expect(reader.spec.stateNames).toEqual(OLD_NAMES);
    const first = (await reader.readEpisode(0)).steps[0].observation;
    const src = episodes[0].steps[0].observation;
    expect([first.aperture, first.closed, first.height]).toEqual([Math.fround(src.aperture), src.closed, Math.fround(src.height)]);
    expect([first.x, first.y, first.yaw]).toEqual([NaN, NaN, NaN]);
    const three = replay(3);
    expect(await fillReplay(reader, three)).toEqual({ episodes: 2, transitions: 8 });
    expectVectors(three, 3, episodes);
    await expect(fillReplay(reader, replay(6))).rejects.toThrow(refusal);

    // A resume goes on with the dataset's own layout.
    const w = DatasetWriter.resume(dir);
    w.append(prepareEpisode(synthEpisode(7, 3)));
    w.close();
    expect(JSON.parse(readFileSync(join(dir, 'meta/info.json'), 'utf8')).features['observation.state'].shape).toEqual([3]);
    expect(await validateDataset(dir)).toMatchObject({ ok: true, episodes: 3, errors: [] });
  });

  it('pincer dataset validate accepts both widths', () => {
    ensureBuilt('dist/data/validate.js', ['src/data', 'src/env']);
    for (const dir of [write('cli-now', STATE_NAMES), writeOld('cli-old')]) {
      const r = cli(['dataset', 'validate', dir, '--json']);
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, episodes: 2 });
    }
  });
});
