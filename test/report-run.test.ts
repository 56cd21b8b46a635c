import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { reportPanels, wilsonInterval, type EvalResult } from '../src/report/index.js';
import { runCli } from './cli-harness.js';
import { pixelValueVariance } from './pixels.js';

const root = mkdtempSync(join(tmpdir(), 'pincer-report-'));
const PANELS = ['success-vs-env-steps', 'success-vs-wall-time', 'success-vs-gradient-steps', 'loss', 'calibration', 'predicted-vs-realized', 'throughput', 'memory', 'failures'];

/**
 * A run folder in the layout `pincer train` writes (metrics.jsonl with its names,
 * eval/step-N.json for periodic validation, eval/test-step-….json from `pincer eval`).
 * `quality` shifts its success rates so two runs differ.
 */
function writeRun(name: string, quality: number): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'eval'), { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ bellman: { gamma: 0.9 }, run: name }));
  const lines: string[] = [];
  for (let step = 50; step <= 400; step += 50) {
    lines.push(
      JSON.stringify({
        step,
        'losses/td_loss': 0.7 / (1 + step / 100),
        'losses/td_error': 0.3 / (1 + step / 200),
        'charts/env_steps': step * 2,
        'perf/steps_per_s': 20 + quality,
        'perf/elapsed_s': step / 10,
        'perf/rss_mb': 400 + quality,
        'perf/num_tensors': 56,
      }),
    );
  }
  // A torn last line, as a run killed mid-write leaves it.
  writeFileSync(join(dir, 'metrics.jsonl'), `${lines.join('\n')}\n{"step": 45`);
  for (const step of [100, 200, 300, 400]) {
    const successes = Math.round((step / 400) * 10 * quality);
    const evalResult = {
      split: 'validation',
      step,
      env_steps: step * 2,
      episodes: 10,
      successes,
      success_rate: successes / 10,
      success_ci95: wilsonInterval(successes, 10),
      detector: { tp: successes, fp: 0, tn: 10 - successes - 1, fn: 1 },
      calibration: [
        { lo: 0, hi: 0.5, episodes: 4, mean_predicted: 0.3, realized: 0.25, realized_ci95: [0, 1] },
        { lo: 0.5, hi: 1, episodes: 6, mean_predicted: 0.7, realized: successes / 10, realized_ci95: [0, 1] },
      ],
    };
    writeFileSync(join(dir, 'eval', `step-${String(step).padStart(8, '0')}.json`), JSON.stringify(evalResult));
  }
  writeFileSync(
    join(dir, 'eval', 'test-step-400-seed-1-n-20.json'),
    JSON.stringify({
      split: 'test',
      episodes: 20,
      successes: Math.round(12 * quality),
      detector: { tp: 10, fp: 1, tn: 8, fn: 1 },
      failures: { missed: 4, slipped: 2, blocked: 1, detector_disagreed: 2 },
      calibration: [],
    }),
  );
  return dir;
}

async function checkPng(path: string): Promise<{ width: number; height: number; variance: number }> {
  const bytes = readFileSync(path);
  expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, variance: pixelValueVariance(data) };
}

const REAL_RUN = join(import.meta.dirname, 'fixtures/runs/qtopt-short');

describe('pincer report', () => {
  it('reads a real short training run (pincer train + pincer eval output): valid PNGs, every panel with data', async () => {
    const out = join(root, 'real');
    const r = await runCli('report', REAL_RUN, '--out', out, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { panels: { file: string; hasData: boolean }[] };
    expect(result.panels.map((p) => p.file)).toEqual(PANELS);
    expect(result.panels.filter((p) => !p.hasData).map((p) => p.file)).toEqual([]);
    for (const p of PANELS) {
      const png = await checkPng(join(out, `${p}.png`));
      expect(png.width, p).toBeGreaterThan(300);
      expect(png.variance, p).toBeGreaterThan(50);
    }
  });

  it('writes index.html and one valid PNG per panel, every panel with data for a full run', async () => {
    const run = writeRun('full', 0.8);
    const r = await runCli('report', run, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { out: string; panels: { file: string; hasData: boolean }[] };
    expect(out.out).toBe(join(run, 'report'));
    expect(out.panels.map((p) => p.file)).toEqual(PANELS);
    expect(out.panels.filter((p) => !p.hasData)).toEqual([]);
    for (const p of PANELS) {
      const png = await checkPng(join(run, 'report', `${p}.png`));
      expect(png.width, p).toBeGreaterThan(300);
      expect(png.variance, p).toBeGreaterThan(50);
    }
    const html = readFileSync(join(run, 'report', 'index.html'), 'utf8');
    for (const p of PANELS) expect(html).toContain(`src="${p}.png"`);
    expect(html).toContain('"gamma": 0.9');
  });

  it('compares runs on the same axes, and says "no data" in a panel instead of failing', async () => {
    const a = writeRun('a', 0.5);
    const empty = join(root, 'just-config');
    mkdirSync(empty);
    writeFileSync(join(empty, 'config.json'), '{}');
    const out = join(root, 'compare');
    const r = await runCli('report', a, empty, '--out', out, '--json');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { panels: { file: string; hasData: boolean }[] };
    expect(result.panels.every((p) => p.hasData)).toBe(true);
    const alone = await runCli('report', empty, '--json');
    expect(alone.code).toBe(0);
    const none = JSON.parse(alone.stdout) as { panels: { file: string; hasData: boolean }[] };
    expect(none.panels.filter((p) => p.hasData)).toEqual([]);
    for (const p of PANELS) expect((await checkPng(join(empty, 'report', `${p}.png`))).variance).toBeGreaterThan(0);
  });

  it('draws evaluations of another episode count or CEM search as their own series, not one zig-zag line', () => {
    const at = (name: string, episodes: number, cem: string | null): EvalResult => ({ name, split: 'validation', step: 100, envSteps: 200, episodes, successes: 3, calibration: [], detector: null, failures: null, cem });
    const evals = [at('step-00000100', 200, null), at('validation-step-100-seed-9-n-1000-cem-64-6-2', 1000, '64/6/2'), at('validation-step-100-seed-9-n-1000-cem-256-16-4', 1000, '256/16/4')];
    const panel = reportPanels([{ name: 'r', config: null, metrics: [], evals }]).find((p) => p.file === 'success-vs-env-steps')!;
    const values = (panel.spec as { data: { values: { series: string }[] } }).data.values;
    expect(values.map((v) => v.series)).toEqual(['validation, 200 episodes', 'validation, 1000 episodes, CEM 64/6/2', 'validation, 1000 episodes, CEM 256/16/4']);
  });

  it("spreads an offline run's evaluations over gradient steps, where the env-step axis has them in one column", () => {
    const at = (step: number): EvalResult => ({ name: `step-${step}`, split: 'validation', step, envSteps: 160_000, episodes: 100, successes: 50, calibration: [], detector: null, failures: null, cem: null });
    const panels = reportPanels([{ name: 'offline', config: null, metrics: [], evals: [at(500), at(1000), at(1500)] }]);
    const xs = (file: string) => (panels.find((p) => p.file === file)!.spec as { data: { values: { x: number }[] } }).data.values.map((v) => v.x);
    expect(xs('success-vs-env-steps')).toEqual([160_000, 160_000, 160_000]);
    expect(xs('success-vs-gradient-steps')).toEqual([500, 1000, 1500]);
  });

  it('bad input: a missing run, a folder that is not a run, a malformed eval file: one line each', async () => {
    const missing = await runCli('report', join(root, 'nope'));
    expect([missing.code, missing.stderr]).toEqual([2, `pincer: ${join(root, 'nope')}: no such run folder\n`]);
    const notRun = join(root, 'not-a-run');
    mkdirSync(notRun);
    const r = await runCli('report', notRun);
    expect([r.code, r.stderr]).toEqual([2, `pincer: ${notRun} is not a training run (no config.json, metrics.jsonl or eval/)\n`]);
    const bad = writeRun('bad', 0.5);
    writeFileSync(join(bad, 'eval', 'step-00000500.json'), '{"episodes": 3, "successes": 4}');
    const e = await runCli('report', bad);
    expect([e.code, e.stderr]).toEqual([2, `pincer: ${join(bad, 'eval', 'step-00000500.json')}: needs integer 'episodes' and 'successes' (0 <= successes <= episodes)\n`]);
  });
});
