/**
 * `pincer report RUN [RUN…]`: a training report as PNG panels and an HTML page.
 * This file reads the run folders (config.json, metrics.jsonl, eval/*.json) and
 * writes the files; the panels themselves are src/report's.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { renderPng, reportPanels, type EvalResult, type MetricsLine, type RunData } from '../../report/index.js';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../../fsutil/index.js';
import { emit, type OutputOptions } from '../io.js';

interface ReportOptions extends OutputOptions {
  out?: string;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`${path}: ${err instanceof SyntaxError ? `malformed JSON (${err.message})` : (err as NodeJS.ErrnoException).code}`);
  }
}

/** metrics.jsonl lines; a torn last line (a run still writing, or killed mid-write) is left out. */
function readMetrics(path: string): MetricsLine[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n');
  const rows: MetricsLine[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      if (i === lines.length - 1) return;
      throw new UsageError(`${path}:${i + 1}: not a JSON object`);
    }
    if (typeof row !== 'object' || row === null || typeof (row as MetricsLine).step !== 'number') throw new UsageError(`${path}:${i + 1}: missing numeric 'step'`);
    rows.push(row as MetricsLine);
  });
  return rows.sort((a, b) => a.step - b.step);
}

const int = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null);

/** eval/NAME.json as training (periodic validation) and `pincer eval` write it. */
function readEval(path: string): EvalResult {
  const json = readJson(path) as Record<string, unknown>;
  const name = basename(path, '.json');
  const episodes = int(json.episodes);
  const successes = int(json.successes);
  if (episodes === null || successes === null || successes > episodes) throw new UsageError(`${path}: needs integer 'episodes' and 'successes' (0 <= successes <= episodes)`);
  const split = typeof json.split === 'string' ? json.split : (/^([a-z]+)-/.exec(name)?.[1] ?? 'validation');
  const stepOfName = /step-(\d+)/.exec(name);
  return {
    name,
    split,
    step: int(json.step) ?? (stepOfName ? Number(stepOfName[1]) : null),
    envSteps: int(json.env_steps),
    episodes,
    successes,
    calibration: Array.isArray(json.calibration) ? (json.calibration as EvalResult['calibration']) : [],
    detector: typeof json.detector === 'object' && json.detector !== null ? (json.detector as EvalResult['detector']) : null,
    failures: typeof json.failures === 'object' && json.failures !== null ? (json.failures as EvalResult['failures']) : null,
    cem: typeof json.cem === 'string' ? json.cem : null,
  };
}

/** What a run folder holds for the report; a folder with none of it is refused. */
export function readRun(dir: string): RunData {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${dir}: no such run folder`);
  const configPath = join(dir, 'config.json');
  const metricsPath = join(dir, 'metrics.jsonl');
  const evalDir = join(dir, 'eval');
  if (!existsSync(configPath) && !existsSync(metricsPath) && !existsSync(evalDir)) {
    throw new UsageError(`${dir} is not a training run (no config.json, metrics.jsonl or eval/)`);
  }
  const evals = existsSync(evalDir)
    ? readdirSync(evalDir)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => readEval(join(evalDir, f)))
    : [];
  return { name: basename(resolve(dir)), config: existsSync(configPath) ? readJson(configPath) : null, metrics: readMetrics(metricsPath), evals };
}

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function indexHtml(runs: RunData[], panels: { file: string; title: string; hasData: boolean }[]): string {
  const title = `pincer report: ${runs.map((r) => r.name).join(' vs ')}`;
  const summary = runs
    .map((r) => `<li><b>${escapeHtml(r.name)}</b>: ${r.metrics.length} metrics lines (last learner step ${r.metrics.at(-1)?.step ?? '—'}), ${r.evals.length} evaluations</li>`)
    .join('\n');
  const figures = panels.map((p) => `<figure><img src="${p.file}.png" alt="${escapeHtml(p.title)}"><figcaption>${escapeHtml(p.title)}${p.hasData ? '' : ' (no data)'}</figcaption></figure>`).join('\n');
  const configs = runs
    .map((r) => `<h3>${escapeHtml(r.name)}</h3>\n<pre>${r.config === null ? 'no config.json' : escapeHtml(JSON.stringify(r.config, null, 2))}</pre>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:1rem}figure{display:inline-block;margin:0 1rem 1rem 0;vertical-align:top}img{max-width:560px}pre{background:#f6f6f6;padding:.5rem;max-height:30rem;overflow:auto}</style>
</head><body>
<h1>${escapeHtml(title)}</h1>
<ul>${summary}</ul>
${figures}
<h2>Resolved config</h2>
${configs}
</body></html>
`;
}

export async function writeReport(dirs: string[], out?: string): Promise<{ out: string; panels: { file: string; title: string; hasData: boolean }[] }> {
  const runs = dirs.map(readRun);
  const names = runs.map((r) => r.name);
  if (new Set(names).size !== names.length) throw new UsageError(`runs must have distinct folder names to be told apart, got ${names.join(', ')}`);
  const target = out ?? (dirs.length === 1 ? join(dirs[0], 'report') : join(dirname(resolve(dirs[0])), `report-${names.join('-vs-')}`));
  const panels = reportPanels(runs);
  for (const panel of panels) writeFileAtomic(join(target, `${panel.file}.png`), await renderPng(panel.spec));
  const listed = panels.map(({ file, title, hasData }) => ({ file, title, hasData }));
  writeFileAtomic(join(target, 'index.html'), indexHtml(runs, listed));
  return { out: target, panels: listed };
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('plots of training runs (success with Wilson CIs, loss, calibration, overestimation, throughput, memory, outcomes, config) as PNGs and index.html')
    .argument('<runs...>', 'run folders (runs/NAME); several are compared on the same axes')
    .option('--out <dir>', 'output folder (default: RUN/report, or report-A-vs-B beside the runs)')
    .option('--json', 'print one JSON object on stdout')
    .addHelpText(
      'after',
      `
Examples:
  pincer report runs/easy                      # writes runs/easy/report/index.html and PNGs
  pincer report runs/a runs/b --out /tmp/ab    # two runs on the same axes`,
    )
    .action(async (dirs: string[], opts: ReportOptions) => {
      const result = await writeReport(dirs, opts.out);
      emit(opts, result, (r) => {
        const panels = r.panels as { file: string; hasData: boolean }[];
        const empty = panels.filter((p) => !p.hasData).map((p) => p.file);
        return `wrote ${join(r.out as string, 'index.html')} and ${panels.length} PNGs${empty.length ? ` (no data yet: ${empty.join(', ')})` : ''}`;
      });
    });
}
