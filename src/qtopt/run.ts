/**
 * A training run's folder, `runs/NAME/`:
 *
 *   config.json          the fully resolved config (scene included); --resume must match it
 *   metrics.jsonl        one line per logged step, CleanRL's grouped names (losses/td_loss, ...)
 *   bootstrap/           the bootstrap dataset (scripted + random episodes), when no --dataset is given
 *   episodes/            the run's own online episodes (LeRobot v2.1), so a resume refills the replay
 *   checkpoints/step-NNNNNNNN/   the last K checkpoints, plus the best on validation (best.json names it)
 *   eval/step-NNNNNNNN.json      periodic validation results
 *
 * Everything here is written atomically (temp file, fsync, rename), so a run
 * killed at any instant leaves whole files. Only the run folder's layout lives
 * here; what a checkpoint holds is checkpoint.ts's business.
 */
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../fsutil/index.js';
import { parseMetrics, type MetricsRow } from '../rl/index.js';
import { configDifferences } from './config.js';

/** A run folder that cannot be used as asked; the message is one line naming the file or the keys. */
export class RunError extends Error {
  constructor(
    message: string,
    /** The request (flags, config, a named file) is at fault: exit 2. Otherwise the run's files are. */
    readonly usage = true,
  ) {
    super(message);
    this.name = 'RunError';
  }
}

export const CONFIG_FILE = 'config.json';
export const METRICS_FILE = 'metrics.jsonl';
export const EPISODES_DIR = 'episodes';
export const BOOTSTRAP_DIR = 'bootstrap';
export const CHECKPOINTS_DIR = 'checkpoints';
export const EVAL_DIR = 'eval';
/** Names the best checkpoint on validation: {"step": n, "validationSuccess": x}. */
export const BEST_FILE = 'best.json';

/** Folder name of the checkpoint at gradient step `step` (zero-padded so names sort by step). */
export function checkpointName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

function stepOfName(name: string): number | null {
  const m = /^step-(\d{8,})$/.exec(name);
  return m ? Number(m[1]) : null;
}

export class RunDir {
  private constructor(
    readonly dir: string,
    /** The allowed keys (RunDir.resume's `mayChange`) in which this command's config differs from config.json. */
    readonly changed: readonly string[] = [],
  ) {}

  get configPath(): string {
    return join(this.dir, CONFIG_FILE);
  }
  get metricsPath(): string {
    return join(this.dir, METRICS_FILE);
  }
  get episodesDir(): string {
    return join(this.dir, EPISODES_DIR);
  }
  get bootstrapDir(): string {
    return join(this.dir, BOOTSTRAP_DIR);
  }
  get checkpointsDir(): string {
    return join(this.dir, CHECKPOINTS_DIR);
  }
  get evalDir(): string {
    return join(this.dir, EVAL_DIR);
  }

  /** A new run: `dir` must not exist, or be empty. Writes config.json first. */
  static create(dir: string, config: unknown): RunDir {
    if (existsSync(dir) && readdirSync(dir).length > 0) {
      const hint = existsSync(join(dir, CONFIG_FILE)) ? ' (add --resume to continue it)' : '';
      throw new RunError(`${dir} already exists and is not empty${hint}`);
    }
    const run = new RunDir(dir);
    run.writeConfig(config);
    return run;
  }

  /**
   * An existing run whose config.json must equal `config`; the differing keys are named.
   * `withDefaults` fills the saved config's defaults as this build resolves them, so a
   * setting added since the run was saved, at its default, is not a difference. Keys in
   * `mayChange` (the run's length) may differ: they are listed in `changed`, and the
   * caller decides whether the change fits and then saves it with writeConfig.
   */
  static resume(dir: string, config: unknown, opts: { withDefaults?: (saved: unknown) => unknown; mayChange?: readonly string[] } = {}): RunDir {
    const run = new RunDir(dir);
    if (!existsSync(run.configPath)) throw new RunError(`${dir} is not a training run (no ${CONFIG_FILE}); nothing to resume`);
    const saved = (opts.withDefaults ?? ((v: unknown) => v))(run.readConfig());
    const all = configDifferences(saved, JSON.parse(JSON.stringify(config)));
    const differing = all.filter((key) => !(opts.mayChange ?? []).includes(key));
    if (differing.length > 0) {
      const shown = differing.slice(0, 6).join(', ') + (differing.length > 6 ? `, … (${differing.length} keys)` : '');
      throw new RunError(`${run.configPath} differs from this command's config in ${shown}; resume with the same flags and --config`);
    }
    return all.length === 0 ? run : new RunDir(dir, all);
  }

  /** Replace config.json (atomically): a resumed run whose length changed. */
  writeConfig(config: unknown): void {
    writeFileAtomic(this.configPath, `${JSON.stringify(config, null, 2)}\n`);
  }

  /** An existing run, for reading (eval). */
  static open(dir: string): RunDir {
    const run = new RunDir(dir);
    if (!existsSync(run.configPath)) throw new RunError(`${dir} is not a training run (no ${CONFIG_FILE})`);
    return run;
  }

  readConfig(): unknown {
    try {
      return JSON.parse(readFileSync(this.configPath, 'utf8'));
    } catch (err) {
      throw new RunError(`${this.configPath}: ${(err as Error).message.split('\n')[0]}`, false);
    }
  }

  checkpointDir(step: number): string {
    return join(this.checkpointsDir, checkpointName(step));
  }

  /** Gradient steps of the checkpoints present (whole folders only; temp folders are not checkpoints), ascending. */
  checkpointSteps(): number[] {
    if (!existsSync(this.checkpointsDir)) return [];
    return readdirSync(this.checkpointsDir)
      .map(stepOfName)
      .filter((s): s is number => s !== null)
      .sort((a, b) => a - b);
  }

  readBest(): { step: number; validationSuccess: number } | null {
    const path = join(this.checkpointsDir, BEST_FILE);
    if (!existsSync(path)) return null;
    try {
      const best = JSON.parse(readFileSync(path, 'utf8')) as { step: number; validationSuccess: number };
      if (!Number.isInteger(best.step) || typeof best.validationSuccess !== 'number') throw new Error('step and validationSuccess expected');
      return best;
    } catch (err) {
      throw new RunError(`${path}: ${(err as Error).message.split('\n')[0]}`, false);
    }
  }

  writeBest(step: number, validationSuccess: number): void {
    writeFileAtomic(join(this.checkpointsDir, BEST_FILE), `${JSON.stringify({ step, validationSuccess })}\n`);
  }

  /**
   * Delete checkpoints beyond the newest `keep`, sparing the best one. Folders
   * left by a checkpoint write that was killed go too.
   */
  pruneCheckpoints(keep: number): void {
    if (!existsSync(this.checkpointsDir)) return;
    const best = this.readBest()?.step;
    const steps = this.checkpointSteps();
    const drop = steps.slice(0, Math.max(0, steps.length - keep)).filter((s) => s !== best);
    for (const s of drop) rmSync(this.checkpointDir(s), { recursive: true, force: true });
    for (const name of readdirSync(this.checkpointsDir)) {
      // saveCheckpoint's temp folders, and the old copy it moves aside when overwriting, if a kill left them.
      if (/\.(tmp|old)-/.test(name)) rmSync(join(this.checkpointsDir, name), { recursive: true, force: true });
    }
  }

  /** eval/NAME.json (periodic validation: NAME = checkpointName(step)). */
  writeEval(name: string, result: unknown): void {
    writeFileAtomic(join(this.evalDir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  }

  readMetrics(): MetricsRow[] {
    if (!existsSync(this.metricsPath)) return [];
    const text = readFileSync(this.metricsPath, 'utf8');
    // A kill during an append can leave a torn last line; it belongs to the steps a resume redoes.
    const whole = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
    return parseMetrics(whole, this.metricsPath);
  }

  /** Keep metrics up to gradient step `step` (the checkpoint a resume starts from); later lines are redone. */
  truncateMetrics(step: number): void {
    if (!existsSync(this.metricsPath)) return;
    const kept = this.readMetrics().filter((row) => row.step <= step);
    writeFileAtomic(this.metricsPath, kept.map((row) => `${JSON.stringify(row)}\n`).join(''));
  }
}
