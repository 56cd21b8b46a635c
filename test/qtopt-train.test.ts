/**
 * `pincer train` and `pincer eval` in-process, on a tiny network and a tiny
 * scene (16×16 images, 2 objects, 3 steps), collecting inline (--collectors 0):
 * determinism, flat tensor count, held-out discipline, offline datasets, and
 * every bad input giving one line, exit 2 and an untouched run folder.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetReader, DatasetWriter, prepareEpisode, specForScene } from '../src/data/index.js';
import { runEpisode, splitObjectSource, createGraspEnv } from '../src/env/node.js';
import { objectIds } from '../src/objects/index.js';
import { createPolicy } from '../src/policies/index.js';
import { createTrainingEnv } from '../src/qtopt/node.js';
import { deriveSeed } from '../src/random/index.js';
import { parseScene } from '../src/scene/index.js';
import { ensureBuilt } from './built-cli.js';
import { runCli } from './cli-harness.js';
import { TINY, TINY_SCENE } from './qtopt-tiny.js';

const root = mkdtempSync(join(tmpdir(), 'pincer-train-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SCENE = TINY_SCENE;
const sceneFile = join(root, 'tiny-scene.json');
writeFileSync(sceneFile, JSON.stringify(SCENE));

function writeJson(name: string, value: unknown): string {
  const path = join(root, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

const tinyConfig = writeJson('tiny.json', TINY);

/** Every file under `dir` with its content hash, to show a failed command changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[p.slice(dir.length)] = createHash('sha1').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

function metricsOf(dir: string): Record<string, unknown>[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** Metrics without the wall-clock group (perf/*), which no two runs share. */
function deterministicPart(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('perf/'))));
}

/** A small offline dataset written in-process: scripted episodes on the train split. */
async function writeDataset(dir: string, scene: ReturnType<typeof parseScene>, episodes: number, split: 'train' | 'test' = 'train'): Promise<void> {
  const env = await createGraspEnv({ scene, split, objectSource: splitObjectSource(split) });
  const writer = DatasetWriter.create(dir, specForScene(scene), { command: 'test' });
  const policy = createPolicy('scripted', scene);
  try {
    for (let i = 0; i < episodes; i++) writer.append(prepareEpisode(runEpisode(env, policy, deriveSeed(11, i)).record));
  } finally {
    writer.close();
    env.close();
  }
}

const dataset16 = join(root, 'data16');
const dataset32 = join(root, 'data32');
const datasetTest = join(root, 'data-test');
let runA: string;

beforeAll(async () => {
  await writeDataset(dataset16, parseScene(SCENE), 8);
  await writeDataset(dataset32, parseScene({ ...SCENE, camera: { width: 32, height: 32 } }), 1);
  await writeDataset(datasetTest, parseScene(SCENE), 1, 'test');
  runA = join(root, 'run-a');
  const r = await runCli('train', '--out', runA, '--config', tinyConfig, '--scene', sceneFile, '--seed', '3', '--json');
  expect(r.code, r.stderr).toBe(0);
}, 120_000);

describe('pincer train', () => {
  it('is deterministic with --collectors 0 and a seed: identical metrics for 200 gradient steps', async () => {
    const runB = join(root, 'run-b');
    const r = await runCli('train', '--out', runB, '--config', tinyConfig, '--scene', sceneFile, '--seed', '3', '--json');
    expect(r.code, r.stderr).toBe(0);
    const a = metricsOf(runA);
    const b = metricsOf(runB);
    expect(a.some((row) => typeof row['losses/td_loss'] === 'number' && row.step === 200)).toBe(true);
    expect(deterministicPart(b)).toEqual(deterministicPart(a));
    // A different seed gives a different run (the comparison above can fail).
    const runC = join(root, 'run-c');
    expect((await runCli('train', '--out', runC, '--config', tinyConfig, '--scene', sceneFile, '--seed', '4', '--steps', '40', '--json')).code).toBe(0);
    expect(deterministicPart(metricsOf(runC)).slice(0, 3)).not.toEqual(deterministicPart(a).slice(0, 3));
  });

  it('lays out the run folder: resolved config, grouped metrics, episodes dataset, last K checkpoints plus best, validation evals', () => {
    const config = JSON.parse(readFileSync(join(runA, 'config.json'), 'utf8'));
    expect(config.qtopt.network.imageWidth).toBe(16);
    expect(config.qtopt.cem.samples).toBe(16);
    expect(config.scene.episode.maxSteps).toBe(3);
    const rows = metricsOf(runA);
    expect(Object.keys(rows.find((r) => 'losses/td_loss' in r)!)).toEqual(expect.arrayContaining(['losses/td_loss', 'charts/success_rate', 'charts/env_steps', 'charts/epsilon']));
    expect(rows.filter((r) => 'charts/validation_success' in r).map((r) => r.step)).toEqual([100, 200]);
    const reader = DatasetReader.open(join(runA, 'episodes'));
    expect(reader.totalEpisodes).toBeGreaterThan(0);
    const best = JSON.parse(readFileSync(join(runA, 'checkpoints/best.json'), 'utf8'));
    const kept = readdirSync(join(runA, 'checkpoints')).filter((n) => n.startsWith('step-'));
    expect(kept).toEqual(expect.arrayContaining(['step-00000150', 'step-00000200', `step-${String(best.step).padStart(8, '0')}`]));
    expect(kept.length).toBeLessThanOrEqual(3);
    expect(readdirSync(join(runA, 'eval')).sort()).toEqual(['step-00000100.json', 'step-00000200.json']);
  });

  it('keeps tf.memory().numTensors flat across training steps, weight syncs and evaluations', () => {
    const counts = metricsOf(runA)
      .filter((r) => typeof r['perf/num_tensors'] === 'number')
      .map((r) => [r.step as number, r['perf/num_tensors'] as number]);
    // Syncs every 10 steps and evaluations at 100 and 200 all happen between these samples.
    expect(counts.length).toBeGreaterThan(15);
    const values = counts.map(([, n]) => n);
    expect(Math.max(...values) - Math.min(...values)).toBe(0);
  });

  it('never reads the test split: collectors use train objects, evaluation validation objects, and test data is refused', async () => {
    const test = new Set(objectIds('test'));
    const reader = DatasetReader.open(join(runA, 'episodes'));
    for (const e of reader.entries) {
      expect(e.split).toBe('train');
      expect(e.object_ids.some((id) => test.has(id))).toBe(false);
    }
    for (const name of readdirSync(join(runA, 'eval'))) expect(JSON.parse(readFileSync(join(runA, 'eval', name), 'utf8')).split).toBe('validation');
    const r = await runCli('train', '--out', join(root, 'run-test-data'), '--config', tinyConfig, '--scene', sceneFile, '--dataset', datasetTest);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/data-test: episode 0 uses test-split objects/);
    // @ts-expect-error the training env has no way to name the test split
    await expect(createTrainingEnv(parseScene(SCENE), 'test')).rejects.toThrow(/not 'test'/);
  });

  it('--init starts from a run\'s best checkpoint; without it the same seed learns otherwise', async () => {
    const best = JSON.parse(readFileSync(join(runA, 'checkpoints/best.json'), 'utf8')) as { step: number };
    const config = writeJson('init-eval.json', { ...TINY, train: { ...TINY.train, offlineSteps: 0, onlineSteps: 10, evalPeriod: 10 } });
    const fine = join(root, 'run-init');
    const r = await runCli('train', '--out', fine, '--config', config, '--scene', sceneFile, '--seed', '3', '--init', runA, '--progress');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`starting from .*step-0*${best.step} \\(its gradient step ${best.step}\\)`));
    expect(JSON.parse(readFileSync(join(fine, 'config.json'), 'utf8')).qtopt.train.init).toBe(runA);
    const scratch = join(root, 'run-scratch');
    expect((await runCli('train', '--out', scratch, '--config', config, '--scene', sceneFile, '--seed', '3', '--json')).code).toBe(0);
    // Ten gradient steps from the trained net and from a fresh one, on the same data: different losses.
    const firstLoss = (dir: string) => metricsOf(dir).find((m) => m['losses/td_loss'] !== undefined)?.['losses/td_loss'];
    expect(firstLoss(fine)).not.toBe(firstLoss(scratch));
  });

  it('trains offline from a dataset, and reports its success rate', async () => {
    const dir = join(root, 'run-offline');
    const cfg = writeJson('offline.json', { ...TINY, train: { ...TINY.train, offlineSteps: 30, onlineSteps: 0 } });
    const r = await runCli('train', '--out', dir, '--config', cfg, '--scene', sceneFile, '--dataset', dataset16, '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.steps).toBe(30);
    expect(out.online_episodes).toBe(0);
    expect(out.offline.episodes).toBe(8);
    const entries = DatasetReader.open(dataset16).entries;
    expect(out.offline.success_rate).toBe(entries.filter((e) => e.success).length / 8);
  });
});

describe('bad input: one line, exit 2, nothing of the run lost', () => {
  const oneLine = (stderr: string) => expect(stderr.trim().split('\n')).toHaveLength(1);

  it('an unknown config key', async () => {
    const r = await runCli('train', '--out', join(root, 'bad-key'), '--config', writeJson('bad-key.json', { ...TINY, cem: { ...TINY.cem, sampels: 3 } }), '--scene', sceneFile);
    expect(r.code).toBe(2);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/sampels/);
    expect(existsSync(join(root, 'bad-key'))).toBe(false);
  });

  it('a dataset with another image size', async () => {
    const r = await runCli('train', '--out', join(root, 'bad-size'), '--config', tinyConfig, '--scene', sceneFile, '--dataset', dataset32);
    expect(r.code).toBe(2);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/data32 has 32x32 images, expected 16x16/);
    expect(existsSync(join(root, 'bad-size'))).toBe(false);
  });

  it('--resume with a differing config names the keys and leaves the run as it was', async () => {
    const before = snapshot(runA);
    const cfg = writeJson('other-lr.json', { ...TINY, cem: { ...TINY.cem, samples: 32 } });
    const r = await runCli('train', '--out', runA, '--config', cfg, '--scene', sceneFile, '--seed', '5', '--resume');
    expect(r.code).toBe(2);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/differs from this command's config in qtopt\.cem\.samples, qtopt\.train\.seed;/);
    expect(snapshot(runA)).toEqual(before);
  });

  it('a missing or corrupt checkpoint', async () => {
    const missing = await runCli('eval', '--policy', join(root, 'no-such-run'), '--scene', sceneFile, '--episodes', '1');
    expect(missing.code).toBe(2);
    oneLine(missing.stderr);
    expect(missing.stderr).toMatch(/no-such-run/);

    const corrupt = join(root, 'corrupt-ckpt');
    cpSync(join(runA, 'checkpoints/step-00000200'), corrupt, { recursive: true });
    const weights = 'weights.bin';
    truncateSync(join(corrupt, weights), Math.floor(statSync(join(corrupt, weights)).size / 2));
    const r = await runCli('eval', '--policy', corrupt, '--scene', sceneFile, '--episodes', '1');
    expect(r.code).toBe(2);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/corrupt-ckpt/);
  });

  it('--init with a checkpoint of another network names the field and writes nothing', async () => {
    const r = await runCli('train', '--out', join(root, 'bad-init'), '--config', writeJson('wide-init.json', { ...TINY, network: { ...TINY.network, headUnits: 16 } }), '--scene', sceneFile, '--init', runA);
    expect(r.code).toBe(2);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/run-a\/checkpoints\/step-\d+: network config differs from the expected one in headUnits/);
    expect(existsSync(join(root, 'bad-init'))).toBe(false);
    const missing = await runCli('train', '--out', join(root, 'bad-init'), '--config', tinyConfig, '--scene', sceneFile, '--init', join(root, 'no-such-run'));
    expect(missing.code).toBe(2);
    oneLine(missing.stderr);
    expect(missing.stderr).toMatch(/no-such-run does not exist/);
    expect(existsSync(join(root, 'bad-init'))).toBe(false);
    const torn = join(root, 'torn-init');
    cpSync(join(runA, 'checkpoints/step-00000200'), torn, { recursive: true });
    truncateSync(join(torn, 'weights.bin'), 100);
    const corrupt = await runCli('train', '--out', join(root, 'bad-init'), '--config', tinyConfig, '--scene', sceneFile, '--init', torn);
    expect(corrupt.code).toBe(2);
    oneLine(corrupt.stderr);
    expect(corrupt.stderr).toMatch(/torn-init/);
    expect(existsSync(join(root, 'bad-init'))).toBe(false);
  });

  it('a checkpoint whose network config does not match the run', async () => {
    const other = join(root, 'run-wide');
    const wide = writeJson('wide.json', { ...TINY, network: { ...TINY.network, headUnits: 16 }, train: { ...TINY.train, onlineSteps: 50 } });
    expect((await runCli('train', '--out', other, '--config', wide, '--scene', sceneFile, '--json')).code).toBe(0);
    const victim = join(root, 'run-victim');
    cpSync(runA, victim, { recursive: true });
    cpSync(join(other, 'checkpoints/step-00000050'), join(victim, 'checkpoints/step-00009999'), { recursive: true });
    const before = snapshot(victim);
    const r = await runCli('train', '--out', victim, '--config', tinyConfig, '--scene', sceneFile, '--seed', '3', '--resume');
    expect(r.code).toBe(2);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/step-00009999/);
    expect(r.stderr).toMatch(/headUnits/);
    expect(snapshot(victim)).toEqual(before);
  });
});

describe('pincer eval', () => {
  it('evaluates a run on a split with calibration, and shares episode seeds across policies', async () => {
    const r = await runCli('eval', '--policy', runA, '--split', 'validation', '--episodes', '3', '--seed', '2', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.episodes).toBe(3);
    expect(out.split).toBe('validation');
    expect(out.success_ci95).toHaveLength(2);
    expect(out.calibration.reduce((n: number, b: { episodes: number }) => n + b.episodes, 0)).toBe(3);
    expect(out.policy_ms_per_step).toBeGreaterThan(0);
    // src/env's taxonomy: every ground-truth failure is one of missed/slipped/blocked; families cover every episode.
    const f = out.failures;
    expect(f.missed + f.slipped + f.blocked).toBe(out.episodes - out.ground_truth_successes);
    expect(Object.values(out.by_family as Record<string, { episodes: number }>).reduce((n, v) => n + v.episodes, 0)).toBe(3);
    const scripted = JSON.parse((await runCli('eval', '--policy', 'scripted', '--scene', sceneFile, '--split', 'validation', '--episodes', '3', '--seed', '2', '--json')).stdout);
    expect(scripted.calibration).toEqual([]);
    // The run's own search (TINY: 16/4/2) names the file, so evaluations with another search sit beside it.
    expect(out.cem).toBe('16/4/2');
    expect(readdirSync(join(runA, 'eval'))).toContain(`validation-step-${out.step}-seed-2-n-3-cem-16-4-2.json`);
    const harder = JSON.parse((await runCli('eval', '--policy', runA, '--split', 'validation', '--episodes', '3', '--seed', '2', '--cem', '32/8/3', '--json')).stdout);
    expect(harder.cem).toBe('32/8/3');
    expect(readdirSync(join(runA, 'eval'))).toContain(`validation-step-${out.step}-seed-2-n-3-cem-32-8-3.json`);
    for (const bad of ['16/32/2', '16/4', 'x']) {
      const r2 = await runCli('eval', '--policy', runA, '--split', 'validation', '--episodes', '3', '--cem', bad);
      expect(r2.code).toBe(2);
      expect(r2.stderr.trim()).toMatch(/^pincer: --cem must be samples\/elites\/iterations/);
    }
  });
});

describe('pincer select', () => {
  const checkpointSteps = (run: string) =>
    readdirSync(join(run, 'checkpoints'))
      .filter((n) => /^step-\d+$/.test(n))
      .map((n) => Number(n.slice(5)))
      .sort((a, b) => a - b);
  type Row = { step: number; cem: string; successes: number; success_rate: number; reused: boolean; episodes: number };

  it('scores every checkpoint × search on the same validation episodes, reuses what eval/ holds, and names the best', async () => {
    // Each candidate is a `pincer eval` process of the built CLI.
    ensureBuilt('dist/cli/commands/select.js', ['src']);
    const steps = checkpointSteps(runA);
    const args = ['select', runA, '--cem', '16/4/2,32/8/3', '--episodes', '3', '--seed', '5', '--workers', '2', '--json'];
    const r = await runCli(...args);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { split: string; compared: number; candidates: Row[]; best: Row; test_command: string };
    expect(out.split).toBe('validation');
    expect(out.candidates.map((c) => [c.step, c.cem])).toEqual(steps.flatMap((s) => [[s, '16/4/2'], [s, '32/8/3']]));
    expect(out.candidates.every((c) => !c.reused && c.episodes === 3)).toBe(true);
    const top = Math.max(...out.candidates.map((c) => c.success_rate));
    expect(out.best.success_rate).toBe(top);
    expect(out.best.step).toBe(Math.max(...out.candidates.filter((c) => c.success_rate === top).map((c) => c.step)));
    expect(out.test_command).toMatch(/^pincer eval --policy .* --cem \d+\/\d+\/\d+ --split test /);
    // A candidate's score is what `pincer eval` gives that checkpoint with that search.
    const first = join(runA, 'checkpoints', `step-${String(steps[0]).padStart(8, '0')}`);
    const direct = JSON.parse((await runCli('eval', '--policy', first, '--split', 'validation', '--episodes', '3', '--seed', '5', '--cem', '32/8/3', '--json')).stdout);
    expect(out.candidates[1]!.successes).toBe(direct.successes);
    // Again: nothing is evaluated twice, and the table is the same.
    const again = JSON.parse((await runCli(...args)).stdout) as { candidates: Row[] };
    expect(again.candidates.every((c) => c.reused)).toBe(true);
    expect(again.candidates.map((c) => c.successes)).toEqual(out.candidates.map((c) => c.successes));
  });

  it('refuses a folder that is not a run, a bad --cem and a --from past every checkpoint, in one line', async () => {
    const last = Math.max(...checkpointSteps(runA));
    for (const [args, message] of [
      [[root], /is not a training run/],
      [[runA, '--cem', '16/4/2,8/16/2'], /--cem must be samples\/elites\/iterations/],
      [[runA, '--from', String(last + 1)], new RegExp(`has no checkpoint at or after step ${last + 1}`)],
    ] as const) {
      const r = await runCli('select', ...args, '--episodes', '2');
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  });
});
