/**
 * `pincer select`: model selection on the validation split. Every checkpoint of
 * the given runs meets every --cem search on the same validation episodes, each
 * in its own `pincer eval` process (gl and tfjs-wasm use one core per process,
 * so --workers of them run at once). An evaluation a run's eval/ already holds
 * is reused, so a stopped selection resumes where it was. The test split is out
 * of its reach: the chosen candidate meets test once, by `pincer eval --split test`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { PolicySearch } from '../../qtopt/node.js';
import { PincerError, UsageError } from '../errors.js';
import { emit, log, parseNonNegativeInt, parsePositiveInt, parseSearch, type OutputOptions } from '../io.js';
import { evalName } from './eval.js';
import { asCli } from './train.js';

interface SelectFlags extends OutputOptions {
  cem?: PolicySearch[];
  episodes: number;
  seed: number;
  from: number;
  workers: number;
}

interface Candidate {
  run: string;
  step: number;
  checkpoint: string;
  cem: string;
  /** Where `pincer eval` keeps this evaluation in the run. */
  file: string;
}

interface Scored {
  run: string;
  step: number;
  cem: string;
  successes: number;
  episodes: number;
  success_rate: number;
  success_ci95: [number, number];
  /** Read from the run's eval/ rather than evaluated now. */
  reused: boolean;
}

/** The built CLI the evaluations run in (bin/pincer.js runs dist/). */
const PINCER_BIN = fileURLToPath(new URL('../../../bin/pincer.js', import.meta.url));

export function registerSelect(program: Command): void {
  program
    .command('select')
    .description('choose a checkpoint and CEM search on the validation split: every checkpoint × search on the same episodes, with Wilson 95% intervals')
    .argument('<runs...>', 'training run folders')
    .option('--cem <list>', "comma-separated searches samples/elites/iterations (default: each run's own)", parseSearches)
    .option('--episodes <n>', 'validation episodes per candidate', parsePositiveInt('--episodes'), 1000)
    .option('--seed <s>', 'seed of the validation episodes, the same for every candidate', parseNonNegativeInt('--seed'), 0)
    .option('--from <step>', 'only checkpoints at or after this gradient step', parseNonNegativeInt('--from'), 0)
    .option('--workers <k>', 'evaluations at once, one process each', parsePositiveInt('--workers'), Math.min(2, availableParallelism()))
    .option('--json', 'print one JSON object on stdout')
    .option('--progress', 'log each evaluation on stderr even when it is not a TTY')
    .addHelpText(
      'after',
      `
Examples:
  pincer select runs/easy runs/easy-s2 --episodes 1000 --seed 9
  pincer select runs/easy --cem 64/6/2,256/16/4 --from 12000 --json
The best of K candidates on the same episodes is an optimistic estimate of its success:
evaluate the chosen one once on held-out test objects (the command printed at the end).`,
    )
    .action(async (runs: string[], flags: SelectFlags) => {
      const out: OutputOptions = { json: flags.json, progress: flags.progress };
      const result = await asCli(() => select(runs, flags, out));
      emit(out, result, human);
    });
}

function parseSearches(value: string): PolicySearch[] {
  const parse = parseSearch('--cem');
  return value.split(',').map((part) => parse(part));
}

async function select(runs: string[], flags: SelectFlags, out: OutputOptions): Promise<Record<string, unknown>> {
  const { RunDir, resolveQtOptConfig, policyCem, describeSearch } = await import('../../qtopt/node.js');
  const candidates: Candidate[] = [];
  for (const dir of new Set(runs)) {
    const run = RunDir.open(dir);
    const saved = run.readConfig() as { qtopt?: unknown };
    const searches = flags.cem?.map(describeSearch) ?? [describeSearch(policyCem(resolveQtOptConfig(saved.qtopt ?? {}, join(dir, 'config.json')).cem))];
    const steps = run.checkpointSteps().filter((s) => s >= flags.from);
    if (steps.length === 0) throw new UsageError(`${dir} has no checkpoint at or after step ${flags.from}`);
    for (const step of steps) {
      for (const cem of searches) {
        const file = join(run.evalDir, `${evalName('validation', step, flags.seed, flags.episodes, cem)}.json`);
        candidates.push({ run: dir, step, checkpoint: run.checkpointDir(step), cem, file });
      }
    }
  }
  const scored = new Map<Candidate, Scored>();
  const todo: Candidate[] = [];
  for (const c of candidates) {
    const saved = existsSync(c.file) ? readSaved(c.file) : null;
    if (saved) scored.set(c, { ...score(c, saved), reused: true });
    else todo.push(c);
  }
  log(out, `select: ${candidates.length} candidates on ${flags.episodes} validation episodes (seed ${flags.seed}); ${candidates.length - todo.length} already evaluated`);
  const running = new Set<ChildProcess>();
  let failure: Error | null = null;
  const next = async (): Promise<void> => {
    for (let c = todo.shift(); c && !failure; c = todo.shift()) {
      try {
        const result = await evaluateInChild(c, flags, running);
        scored.set(c, { ...score(c, result), reused: false });
        log(out, `select: ${c.checkpoint} CEM ${c.cem}: ${result.successes}/${result.episodes} (${scored.size}/${candidates.length})`);
      } catch (err) {
        failure ??= err as Error;
        for (const child of running) child.kill('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(flags.workers, todo.length) }, next));
  if (failure) throw failure;
  const table = candidates.map((c) => scored.get(c)!);
  // Ties go to the later checkpoint (it has seen more data), then to the cheaper search.
  const best = [...table].sort((a, b) => b.success_rate - a.success_rate || b.step - a.step || searchCost(a.cem) - searchCost(b.cem))[0]!;
  const chosen = candidates[table.indexOf(best)]!;
  return {
    split: 'validation',
    episodes: flags.episodes,
    seed: flags.seed,
    compared: table.length,
    candidates: table,
    best,
    test_command: `pincer eval --policy ${chosen.checkpoint} --cem ${chosen.cem} --split test --episodes ${flags.episodes}`,
  };
}

const searchCost = (cem: string): number => {
  const [samples, , iterations] = cem.split('/').map(Number);
  return samples! * iterations!;
};

interface SavedEval {
  successes: number;
  episodes: number;
  success_rate: number;
  success_ci95: [number, number];
}

/** An evaluation `pincer eval` wrote; null when it is not one (a torn or foreign file is evaluated again). */
function readSaved(file: string): SavedEval | null {
  try {
    const json = JSON.parse(readFileSync(file, 'utf8')) as Partial<SavedEval>;
    return typeof json.successes === 'number' && typeof json.episodes === 'number' && Array.isArray(json.success_ci95) ? (json as SavedEval) : null;
  } catch {
    return null;
  }
}

function score(c: Candidate, r: SavedEval): Omit<Scored, 'reused'> {
  return { run: c.run, step: c.step, cem: c.cem, successes: r.successes, episodes: r.episodes, success_rate: r.success_rate, success_ci95: r.success_ci95 };
}

function evaluateInChild(c: Candidate, flags: SelectFlags, running: Set<ChildProcess>): Promise<SavedEval> {
  const args = ['eval', '--policy', c.checkpoint, '--split', 'validation', '--episodes', String(flags.episodes), '--seed', String(flags.seed), '--cem', c.cem, '--json'];
  return new Promise((resolve, reject) => {
    // Its result is read from the file it writes, the same one a later selection reuses.
    const child = spawn(process.execPath, [PINCER_BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    running.add(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      running.delete(child);
      const said = stderr.trim().split('\n').pop()?.replace(/^pincer: /, '') ?? '';
      const result = code === 0 ? readSaved(c.file) : null;
      if (result) resolve(result);
      else reject(new PincerError(`${c.checkpoint} (CEM ${c.cem}): evaluation failed (${signal ?? `exit ${code}`})${said ? `: ${said}` : ''}${code === 0 ? `; no ${c.file}` : ''}`));
    });
  });
}

function human(r: Record<string, unknown>): string {
  const s = r as { episodes: number; seed: number; compared: number; candidates: Scored[]; best: Scored; test_command: string };
  const width = Math.max(3, ...s.candidates.map((c) => c.run.length));
  const row = (c: Scored) =>
    `${c.run.padEnd(width)}  ${String(c.step).padStart(8)}  ${c.cem.padEnd(10)}  ${c.success_rate.toFixed(3)}  ${c.success_ci95[0].toFixed(3)}-${c.success_ci95[1].toFixed(3)}${c.run === s.best.run && c.step === s.best.step && c.cem === s.best.cem ? '  ← best' : ''}`;
  return [
    `validation, ${s.episodes} episodes (seed ${s.seed}), ${s.compared} candidates:`,
    `${'run'.padEnd(width)}  ${'step'.padStart(8)}  ${'cem'.padEnd(10)}  success  95% CI`,
    ...s.candidates.map(row),
    `best: ${s.best.run} step ${s.best.step}, CEM ${s.best.cem}: ${s.best.success_rate.toFixed(3)} (${s.best.success_ci95[0].toFixed(3)}-${s.best.success_ci95[1].toFixed(3)}).`,
    `The best of ${s.compared} on the same episodes is optimistic; measure it once on held-out test objects:`,
    `  ${s.test_command}`,
  ].join('\n');
}
