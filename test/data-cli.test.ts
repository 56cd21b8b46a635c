/** `pincer dataset info|validate|sample`, called through the CLI's main() with stdout/stderr captured. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATE_NAMES } from '../src/env/index.js';
import { runCli } from './cli-harness.js';
import { DatasetWriter, episodePath, prepareEpisode, type DatasetSpec } from '../src/data/index.js';
import { synthEpisode } from './data-synth.js';

const root = mkdtempSync(join(tmpdir(), 'pincer-data-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const spec: DatasetSpec = { camera: 'shoulder', imageWidth: 16, imageHeight: 12, fps: 4, task: 'grasp', robotType: 'pincer_gripper', stateNames: STATE_NAMES };
const dataset = join(root, 'ds');

beforeAll(async () => {
  const w = DatasetWriter.create(dataset, spec, {});
  for (let i = 0; i < 3; i++) w.append(prepareEpisode(synthEpisode(400 + i, 4 + i)));
  w.close();
});


describe('pincer dataset', () => {
  it('info --json prints one object with counts, rates and size', async () => {
    const r = await runCli('dataset', 'info', dataset, '--json');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const info = JSON.parse(lines[0]);
    expect(info).toMatchObject({ episodes: 3, frames: 4 + 5 + 6, image: { camera: 'shoulder', width: 16, height: 12 }, object_split: { train: 3 }, policies: { synth: 3 } });
    expect(info.size_bytes).toBeGreaterThan(0);
  });

  it('validate passes a good dataset and names a truncated file, exit 1, one JSON object', async () => {
    const good = await runCli('dataset', 'validate', dataset, '--json');
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ ok: true, episodes: 3, errors: [] });

    const bad = join(root, 'bad');
    const w = DatasetWriter.create(bad, spec, {});
    for (let i = 0; i < 2; i++) w.append(prepareEpisode(synthEpisode(500 + i, 3)));
    w.close();
    truncateSync(join(bad, episodePath(1)), 100);
    const r = await runCli('dataset', 'validate', bad, '--json');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.ok).toBe(false);
    expect(report.errors.join('\n')).toContain(episodePath(1));
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(episodePath(1));
  });

  it('sample writes every frame as PNG plus a contact sheet', async () => {
    const out = join(root, 'sample');
    const r = await runCli('dataset', 'sample', dataset, '--episode', '2', '--out', out, '--columns', '3', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ episode: 2, frames: 6 });
    const files = readdirSync(out).sort();
    expect(files).toEqual(['contact_sheet.png', 'episode.json', ...[0, 1, 2, 3, 4, 5].map((t) => `frame_00${t}.png`)]);
    // Frame 4 of the PNGs is the source frame, pixel for pixel.
    const src = synthEpisode(402, 6).steps[4].observation.image;
    const { data } = await sharp(readFileSync(join(out, 'frame_004.png'))).raw().toBuffer({ resolveWithObject: true });
    expect(Buffer.compare(data, Buffer.from(src))).toBe(0);
    // 3 columns x 2 rows of 16x12 frames with 2 px gaps.
    const meta = await sharp(readFileSync(join(out, 'contact_sheet.png'))).metadata();
    expect([meta.width, meta.height]).toEqual([3 * 18 + 2, 2 * 14 + 2]);
  });

  it('gives one-line errors for a non-dataset directory, a missing episode and an occupied --out', async () => {
    const plain = join(root, 'plain');
    mkdirSync(plain);
    writeFileSync(join(plain, 'x.txt'), '');
    const cases: [string[], number, RegExp][] = [
      [['dataset', 'info', plain], 2, /is not a pincer dataset/],
      [['dataset', 'validate', join(root, 'nope')], 2, /does not exist/],
      [['dataset', 'sample', dataset, '--episode', '7', '--out', join(root, 's2')], 2, /holds episodes 0\.\.2/],
      [['dataset', 'sample', dataset, '--episode', '0', '--out', plain], 2, /exists and is not empty/],
    ];
    for (const [args, code, pattern] of cases) {
      const r = await runCli(...args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    expect(existsSync(join(root, 's2'))).toBe(false);
  });
});
