import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'pincer-render-cli-'));



describe('pincer render', () => {
  it('writes a PNG of the settled scene and prints one JSON object', async () => {
    const out = join(dir, 'bin.png');
    const r = await runCli('render', '--seed', '7', '--size', '96', '--out', out, '--json');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0]);
    expect(result).toMatchObject({ out, width: 96, height: 96, seed: 7, split: 'train' });
    expect(result.objects).toHaveLength(5);
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([96, 96, 3]);
    expect(new Set(Array.from({ length: data.length / 3 }, (_, p) => data.readUIntBE(3 * p, 3))).size).toBeGreaterThan(20);
  });

  it('gives one-line usage errors (exit 2) for a bad size or a missing scene file', async () => {
    for (const argv of [
      ['--size', '8'],
      ['--size', 'big'],
      ['--scene', join(dir, 'nope.json')],
      ['--split', 'val'],
    ]) {
      const r = await runCli('render', '--out', join(dir, 'x.png'), ...argv);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ camera: { fov: 500 } }));
    const r = await runCli('render', '--out', join(dir, 'x.png'), '--scene', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/camera\.fov/);
  });
});
