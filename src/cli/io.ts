/**
 * The only place that writes to stdout and stderr for commands.
 *
 * `--json` commands print exactly one JSON object on stdout. Logs and progress
 * go to stderr, and only when stderr is a TTY or `--progress` was given.
 */
import type { OutcomeBreakdown } from '../env/index.js';
import type { Logger } from '../log/index.js';
import type { PolicySearch } from '../qtopt/node.js';
import { UsageError } from './errors.js';

export interface OutputOptions {
  json?: boolean;
  progress?: boolean;
  verbose?: boolean;
}

/** Whether progress bars and log lines should be shown on stderr. */
export function showProgress(opts: OutputOptions): boolean {
  return opts.progress === true || (process.stderr.isTTY === true && opts.json !== true);
}

/** A log line on stderr (only when progress output is on, or always for warnings). */
export function log(opts: OutputOptions, message: string): void {
  if (showProgress(opts) || opts.verbose) process.stderr.write(`${message}\n`);
}

/** The Logger a command gives to lower layers: info as `log` (progress output only), warnings always, on stderr. */
export function commandLogger(opts: OutputOptions): Logger {
  return {
    info: (message) => log(opts, message),
    warn: (message) => void process.stderr.write(`pincer: warning: ${message}\n`),
  };
}

/** Print the command's one result: a JSON object with --json, else readable lines. */
export function emit(opts: OutputOptions, result: Record<string, unknown>, human?: (r: Record<string, unknown>) => string): void {
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    process.stdout.write(`${human ? human(result) : JSON.stringify(result, null, 2)}\n`);
  }
}

/** Parse a positive integer flag, naming the flag on failure. */
export function parsePositiveInt(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim()) || Number(value) <= 0) {
      throw new UsageError(`${flag} must be a positive integer, got '${value}'`);
    }
    return Number(value);
  };
}

/** Parse a non-negative integer flag (seeds, indices), naming the flag on failure. */
export function parseNonNegativeInt(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim())) {
      throw new UsageError(`${flag} must be a non-negative integer, got '${value}'`);
    }
    return Number(value);
  };
}

/** Parse a finite number flag, naming the flag on failure. */
export function parseNumber(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag} must be a number, got '${value}'`);
    return n;
  };
}

/** Parse a flag restricted to a fixed set of words. */
export function parseChoice<T extends string>(flag: string, choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new UsageError(`${flag} must be one of ${choices.join('|')}, got '${value}'`);
    }
    return value as T;
  };
}

/** Parse a `S/E/I` CEM search flag (samples/elites/iterations, elites ≤ samples), naming the flag on failure. */
export function parseSearch(flag: string) {
  return (value: string): PolicySearch => {
    const m = /^(\d+)\/(\d+)\/(\d+)$/.exec(value.trim());
    const [samples, elites, iterations] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
    if (!m || samples <= 0 || elites <= 0 || iterations <= 0 || elites > samples) {
      throw new UsageError(`${flag} must be samples/elites/iterations, positive with elites ≤ samples (e.g. 256/16/4), got '${value}'`);
    }
    return { samples, elites, iterations };
  };
}

const successes = (by: Record<string, { successes: number; episodes: number }>): string =>
  Object.entries(by)
    .map(([k, v]) => `${k} ${v.successes}/${v.episodes}`)
    .join(', ');

/** The human lines of an outcome breakdown (rollout and eval): failures, success by family, where the fingers closed. */
export function outcomeLines(o: OutcomeBreakdown): string[] {
  const f = o.failures;
  const cm = (m: number) => (100 * m).toFixed(1);
  return [
    `failures (ground truth): missed ${f.missed}, slipped ${f.slipped}, blocked ${f.blocked}; detector disagreed ${f.detector_disagreed}`,
    `by family: ${successes(o.by_family)}`,
    ...(o.by_object ? [`by object: ${successes(o.by_object)}`] : []),
    ...(o.placement
      ? [`fingers closed ${cm(o.placement.nearest_object_m)} cm from the nearest object on average (${cm(o.placement.shuffled_nearest_object_m)} cm from another episode's objects)`]
      : []),
  ];
}
