/**
 * `pincer collect` end to end through the built CLI: a collection killed with
 * SIGKILL mid-way leaves a valid dataset of whole episodes, and --resume
 * brings it to exactly N episodes with no duplicates.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetReader, validateDataset } from '../src/data/index.js';
import { cli, ensureBuilt, repo } from './built-cli.js';
import { LIBRARY_VERSION, splitOf } from '../src/objects/index.js';
import { deriveSeed } from '../src/random/index.js';
import { saveCheckpoint } from '../src/qtopt/checkpoint.js';
import { initBackend, QNetwork } from '../src/tf/node.js';

const root = mkdtempSync(join(tmpdir(), 'pincer-collect-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A small, quick scene: 32x32 images, 2 objects, episodes of at most 3 steps. */
const scene = join(root, 'quick.json');
writeFileSync(scene, JSON.stringify({ camera: { width: 32, height: 32 }, objects: { count: 2 }, episode: { maxSteps: 3 } }));

beforeAll(() => ensureBuilt('dist/data/collect-worker.js', ['src/data']), 120_000);

function cliAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repo, 'bin/pincer.js'), ...args], { cwd: repo });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function episodeFiles(dir: string): number {
  const chunk = join(dir, 'data/chunk-000');
  return existsSync(chunk) ? readdirSync(chunk).filter((f) => /^episode_\d+\.parquet$/.test(f)).length : 0;
}

describe('pincer collect', () => {
  it('survives kill -9 mid-collection and resumes to exactly N episodes', async () => {
    const dir = join(root, 'crash');
    const N = 6;
    const args = ['collect', '--policy', 'random', '--episodes', String(N), '--out', dir, '--scene', scene, '--seed', '3', '--json'];
    const child = spawn(process.execPath, [join(repo, 'bin/pincer.js'), ...args], { cwd: repo, stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    for (let i = 0; i < 600 && episodeFiles(dir) < 2 && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await exited;
    const written = episodeFiles(dir);
    expect(written).toBeGreaterThanOrEqual(2);
    expect(written).toBeLessThan(N);

    const report = await validateDataset(dir);
    expect(report.errors).toEqual([]);
    expect(report.episodes).toBe(written);

    const resumed = cli([...args, '--resume']);
    expect(resumed.status, resumed.stderr).toBe(0);
    const out = JSON.parse(resumed.stdout);
    expect(out.episodes).toBe(N);
    expect(out.written).toBe(N - written);

    const reader = DatasetReader.open(dir);
    expect(reader.entries.map((e) => e.episode_index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(reader.entries.map((e) => e.seed)).toEqual([0, 1, 2, 3, 4, 5].map((i) => deriveSeed(3, i)));
    expect(episodeFiles(dir)).toBe(N);
    expect((await validateDataset(dir)).errors).toEqual([]);
    expect(readdirSync(join(dir, 'meta')).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('collects from the validation split and records the library version in meta/info.json', async () => {
    const dir = join(root, 'validation');
    const r = cli(['collect', '--policy', 'random', '--episodes', '2', '--out', dir, '--scene', scene, '--split', 'validation', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const info = JSON.parse(readFileSync(join(dir, 'meta/info.json'), 'utf8'));
    expect(info.library_version).toBe(LIBRARY_VERSION);
    const reader = DatasetReader.open(dir);
    for (const e of reader.entries) {
      expect(e.split).toBe('validation');
      for (const id of e.object_ids) expect(splitOf(id)).toBe('validation');
    }
    expect((await validateDataset(dir)).errors).toEqual([]);
  });

  it('collects with a trained checkpoint (greedy CEM in the collector processes), and refuses one sized for another camera', async () => {
    await initBackend();
    const network = { imageHeight: 32, imageWidth: 32, imageChannels: 3, convs: [{ filters: 4, kernelSize: 3, stride: 4 }], stateDim: 3, actionDim: 6, actionUnits: 8, headUnits: 8 };
    const checkpoint = join(root, 'ckpt');
    const net = new QNetwork(network, 1);
    await saveCheckpoint(checkpoint, net, { step: 1, envSteps: 0, validationSuccess: null, libraryVersion: LIBRARY_VERSION, configHash: 'test' });
    net.dispose();
    const dir = join(root, 'from-checkpoint');
    const r = await cliAsync(['collect', '--policy', `checkpoint:${checkpoint}`, '--episodes', '3', '--workers', '2', '--out', dir, '--scene', scene, '--seed', '4', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const reader = DatasetReader.open(dir);
    expect(reader.totalEpisodes).toBe(3);
    for (const e of reader.entries) expect(e.policy).toBe('cem');
    expect((await validateDataset(dir)).errors).toEqual([]);
    const other = join(root, 'ckpt-64');
    const big = new QNetwork({ ...network, imageHeight: 64, imageWidth: 64 }, 1);
    await saveCheckpoint(other, big, { step: 1, envSteps: 0, validationSuccess: null, libraryVersion: LIBRARY_VERSION, configHash: 'test' });
    big.dispose();
    const refused = await cliAsync(['collect', '--policy', `checkpoint:${other}`, '--episodes', '1', '--out', join(root, 'x5'), '--scene', scene]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/the network takes 64x64 images, the scene's camera is 32x32/);
    expect(existsSync(join(root, 'x5'))).toBe(false);
  }, 120_000);

  it('refuses bad output directories and policy strings with one-line errors', async () => {
    const notDataset = join(root, 'not-a-dataset');
    mkdirSync(notDataset);
    writeFileSync(join(notDataset, 'notes.txt'), 'mine');
    const cases: [string[], RegExp][] = [
      [['--policy', 'random', '--out', notDataset], /exists and is not a pincer dataset/],
      [['--policy', 'scripty', '--out', join(root, 'x1')], /unknown policy 'scripty'/],
      [['--policy', `checkpoint:${join(root, 'no-such-run')}`, '--out', join(root, 'x3')], /no-such-run does not exist/],
      [['--policy', 'random', '--out', join(root, 'x4'), '--resume'], /does not exist; nothing to resume/],
    ];
    // The spec grammar is unit-tested in data-policy.test.ts; these check the CLI's exit code and one-line contract.
    const results = await Promise.all(cases.map(([flags]) => cliAsync(['collect', '--episodes', '2', '--scene', scene, ...flags])));
    for (const [i, [flags, pattern]] of cases.entries()) {
      const r = results[i];
      expect(r.status, flags.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(readFileSync(join(notDataset, 'notes.txt'), 'utf8')).toBe('mine');
    expect(existsSync(join(root, 'x1'))).toBe(false);
  });
});
