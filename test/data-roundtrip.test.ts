import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, unlinkSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STATE_NAMES } from '../src/env/index.js';
import { DatasetReader, DatasetWriter, SUMMARY_EVERY, episodePath, prepareEpisode, validateDataset, type DatasetSpec } from '../src/data/index.js';
import { cli, ensureBuilt } from './built-cli.js';
import { synthEpisode } from './data-synth.js';

const root = mkdtempSync(join(tmpdir(), 'pincer-data-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const spec: DatasetSpec = { camera: 'shoulder', imageWidth: 16, imageHeight: 12, fps: 4, task: 'grasp', robotType: 'pincer_gripper', stateNames: STATE_NAMES };

async function writeDataset(name: string, seeds: number[]): Promise<string> {
  const dir = join(root, name);
  const w = DatasetWriter.create(dir, spec, { test: name });
  for (const s of seeds) w.append(prepareEpisode(synthEpisode(s, 3 + (s % 4))));
  w.close();
  return dir;
}

describe('dataset round trip', () => {
  it('reads back exactly the transitions it wrote (image bytes, actions, rewards, flags)', async () => {
    const seeds = [11, 12, 13, 14];
    const dir = await writeDataset('roundtrip', seeds);
    const reader = DatasetReader.open(dir, { imageWidth: 16, imageHeight: 12, camera: 'shoulder', features: ['action', 'next.reward'] });
    expect(reader.totalEpisodes).toBe(4);
    let i = 0;
    for await (const ep of reader.episodes()) {
      const src = synthEpisode(seeds[i], 3 + (seeds[i] % 4));
      expect(ep.episodeIndex).toBe(i);
      expect(ep.seed).toBe(src.seed);
      expect(ep.objectIds).toEqual(src.objectIds);
      expect(ep.success).toBe(src.success);
      expect(ep.steps.length).toBe(src.steps.length);
      ep.steps.forEach((step, t) => {
        const s = src.steps[t];
        expect(Buffer.compare(Buffer.from(step.observation.image), Buffer.from(s.observation.image))).toBe(0);
        expect(Array.from(step.action)).toEqual(Array.from(s.action));
        expect(step.reward).toBe(Math.fround(s.reward));
        expect(step.done).toBe(s.done);
        expect(step.success).toBe(s.success);
        expect(step.observation.closed).toBe(s.observation.closed);
        expect(step.observation.aperture).toBe(Math.fround(s.observation.aperture));
        expect(step.observation.height).toBe(Math.fround(s.observation.height));
      });
      i++;
    }
    expect(i).toBe(4);
    const transitions = [];
    for await (const t of reader.transitions()) transitions.push(t);
    expect(transitions.length).toBe(reader.totalFrames);
    // s' of step t is the observation of step t+1; the last step of an episode has none.
    const first = synthEpisode(11, 3 + (11 % 4));
    expect(Buffer.from(transitions[0].nextObservation!.image).equals(Buffer.from(first.steps[1].observation.image))).toBe(true);
    expect(transitions[first.steps.length - 1].nextObservation).toBeNull();
    expect(transitions[first.steps.length].episodeIndex).toBe(1);
  });

  it('writes LeRobot v2.1 metadata with consistent counts and global indices', async () => {
    const dir = await writeDataset('meta', [1, 2, 3]);
    const info = JSON.parse(readFileSync(join(dir, 'meta/info.json'), 'utf8'));
    const lengths = [1, 2, 3].map((s) => 3 + (s % 4));
    expect(info.codebase_version).toBe('v2.1');
    expect(info.total_episodes).toBe(3);
    expect(info.total_frames).toBe(lengths.reduce((a, b) => a + b));
    expect(info.splits).toEqual({ train: '0:3' });
    expect(info.features['observation.images.shoulder']).toEqual({ dtype: 'image', shape: [12, 16, 3], names: ['height', 'width', 'channels'] });
    const episodes = readFileSync(join(dir, 'meta/episodes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(episodes.map((e) => e.length)).toEqual(lengths);
    expect(episodes[2]).toMatchObject({ episode_index: 2, tasks: ['grasp'], seed: 3, policy: 'synth', split: 'train' });
    const stats = JSON.parse(readFileSync(join(dir, 'meta/stats.json'), 'utf8'));
    expect(stats['observation.images.shoulder'].mean.length).toBe(3);
    expect(stats['observation.images.shoulder'].mean[0]).toEqual([[expect.any(Number)]]);
    expect(stats.index.min).toEqual([0]);
    expect(stats.index.max).toEqual([info.total_frames - 1]);
    expect(stats.index.count).toEqual([info.total_frames]);
    const report = await validateDataset(dir);
    expect(report.errors).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('image stats equal a brute-force mean/std over every pixel of every episode', async () => {
    const seeds = [21, 22];
    const dir = await writeDataset('stats', seeds);
    const stats = JSON.parse(readFileSync(join(dir, 'meta/stats.json'), 'utf8'))['observation.images.shoulder'];
    const values: number[][] = [[], [], []];
    for (const s of seeds) {
      for (const step of synthEpisode(s, 3 + (s % 4)).steps) step.observation.image.forEach((v, i) => values[i % 3].push(v / 255));
    }
    values.forEach((vs, c) => {
      const mean = vs.reduce((a, b) => a + b) / vs.length;
      const std = Math.sqrt(vs.reduce((a, b) => a + (b - mean) ** 2, 0) / vs.length);
      expect(stats.mean[c][0][0]).toBeCloseTo(mean, 10);
      expect(stats.std[c][0][0]).toBeCloseTo(std, 10);
      expect(stats.min[c][0][0]).toBe(Math.min(...vs));
      expect(stats.max[c][0][0]).toBe(Math.max(...vs));
    });
  });

  it('rebuilds metadata that fell behind the episode files (writer killed after the rename)', async () => {
    const dir = await writeDataset('behind', [5, 6, 7]);
    const complete = readFileSync(join(dir, 'meta/episodes.jsonl'), 'utf8');
    const stats = readFileSync(join(dir, 'meta/stats.json'), 'utf8');
    // Roll the metadata back to two episodes, a torn third line included, as a kill -9 could leave it.
    const lines = complete.trim().split('\n');
    writeFileSync(join(dir, 'meta/episodes.jsonl'), `${lines.slice(0, 2).join('\n')}\n${lines[2].slice(0, 10)}`);
    const info = JSON.parse(readFileSync(join(dir, 'meta/info.json'), 'utf8'));
    writeFileSync(join(dir, 'meta/info.json'), JSON.stringify({ ...info, total_episodes: 2 }));
    const reader = DatasetReader.open(dir);
    expect(reader.rebuilt).toBe(true);
    expect(reader.totalEpisodes).toBe(3);
    expect(readFileSync(join(dir, 'meta/episodes.jsonl'), 'utf8')).toBe(complete);
    expect(readFileSync(join(dir, 'meta/stats.json'), 'utf8')).toBe(stats);
    expect((await validateDataset(dir)).ok).toBe(true);
  });

  it('replaces info.json and stats.json every SUMMARY_EVERY episodes and on close; another process meanwhile sees what they list', async () => {
    ensureBuilt('dist/data/validate.js', ['src/data']);
    const seeds = Array.from({ length: SUMMARY_EVERY + 3 }, (_, i) => 60 + i);
    const listed = await writeDataset('summary-listed', seeds.slice(0, SUMMARY_EVERY));
    const whole = await writeDataset('summary-whole', seeds);
    const dir = join(root, 'summary-live');
    const w = DatasetWriter.create(dir, spec, { test: 'summary-live' });
    try {
      for (const s of seeds) w.append(prepareEpisode(synthEpisode(s, 3 + (s % 4))));
      const same = (a: string, b: string, rel: string) => readFileSync(join(a, rel)).equals(readFileSync(join(b, rel)));
      expect(same(dir, listed, 'meta/info.json')).toBe(true);
      expect(same(dir, listed, 'meta/stats.json')).toBe(true);
      expect(same(dir, whole, 'meta/episodes.jsonl')).toBe(true);
      // The writer's lock is this process's, so only another process reads the dataset as live.
      const live = cli(['dataset', 'validate', dir, '--json']);
      expect(live.stderr).toBe('');
      expect(JSON.parse(live.stdout)).toMatchObject({ ok: true, episodes: SUMMARY_EVERY, rebuilt: false, errors: [] });
    } finally {
      w.close();
    }
    for (const rel of ['meta/info.json', 'meta/stats.json', 'meta/episodes.jsonl', 'meta/episodes_stats.jsonl']) {
      expect(readFileSync(join(dir, rel)).equals(readFileSync(join(whole, rel)))).toBe(true);
    }
  }, 60_000);

  it('resume continues the global index and matches an uninterrupted dataset byte for byte', async () => {
    const whole = await writeDataset('whole', [31, 32, 33]);
    const part = await writeDataset('part', [31, 32]);
    const w = DatasetWriter.resume(part);
    expect(w.totalEpisodes).toBe(2);
    w.append(prepareEpisode(synthEpisode(33, 3 + (33 % 4))));
    w.close();
    for (const rel of ['meta/info.json', 'meta/episodes.jsonl', 'meta/episodes_stats.jsonl', 'meta/stats.json', episodePath(2)]) {
      expect(readFileSync(join(part, rel)).equals(readFileSync(join(whole, rel)))).toBe(true);
    }
  });

  it('reports a truncated, a corrupt-image and a missing episode file by name', async () => {
    const dir = await writeDataset('corrupt', [41, 42, 43, 44]);
    expect((await validateDataset(dir)).ok).toBe(true);
    const f1 = join(dir, episodePath(1));
    truncateSync(f1, Math.floor(readFileSync(f1).length / 2));
    const f2 = join(dir, episodePath(2));
    const bytes = readFileSync(f2);
    // Flip bytes inside the first PNG's IDAT chunk: its CRC no longer matches.
    const idat = bytes.indexOf(Buffer.from('IDAT'));
    for (let k = 8; k < 16; k++) bytes[idat + k] ^= 0xff;
    writeFileSync(f2, bytes);
    const report = await validateDataset(dir);
    expect(report.ok).toBe(false);
    expect(report.errors.some((e) => e.startsWith(episodePath(1)))).toBe(true);
    expect(report.errors.some((e) => e.startsWith(episodePath(2)) && /image/.test(e))).toBe(true);
    expect(report.errors.some((e) => e.startsWith(episodePath(0)) || e.startsWith(episodePath(3)))).toBe(false);

    const dir2 = await writeDataset('missing', [51, 52, 53]);
    unlinkSync(join(dir2, episodePath(1)));
    const missing = await validateDataset(dir2);
    expect(missing.ok).toBe(false);
    expect(missing.errors[0]).toContain(`${episodePath(1)} is missing`);
    expect(existsSync(join(dir2, episodePath(2)))).toBe(true);
  });

  it('refuses a reader expecting another image size or a missing feature, in one line', async () => {
    const dir = await writeDataset('expect', [61]);
    expect(() => DatasetReader.open(dir, { imageWidth: 64, imageHeight: 64 })).toThrow(/has 16x12 images, expected 64x64$/);
    expect(() => DatasetReader.open(dir, { features: ['observation.depth'] })).toThrow(/lacks feature observation\.depth$/);
    expect(() => DatasetReader.open(dir, { camera: 'wrist' })).toThrow(/has camera 'shoulder', expected 'wrist'/);
  });

  it('refuses to create a dataset over a non-dataset directory or an existing dataset', async () => {
    const dir = await writeDataset('exists', [71]);
    expect(() => DatasetWriter.create(dir, spec, {})).toThrow(/already holds a dataset/);
    const other = join(root, 'other');
    writeFileSync(join(root, 'placeholder'), '');
    expect(() => DatasetWriter.create(root, spec, {})).toThrow(/exists and is not a pincer dataset/);
    expect(() => DatasetWriter.resume(other)).toThrow(/does not exist/);
  });
});
