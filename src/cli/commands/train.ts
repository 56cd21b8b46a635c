/**
 * `pincer train`: QT-Opt training into runs/NAME (src/qtopt/train.ts). Parses
 * flags, reads --config, shows progress, prints the result, maps errors.
 */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { TrainProgress, TrainResult } from '../../qtopt/node.js';
import { PincerError, UsageError } from '../errors.js';
import { emit, log, parseNonNegativeInt, parsePositiveInt, showProgress, type OutputOptions } from '../io.js';
import { resolveScene } from '../scene-env.js';

interface TrainFlags extends OutputOptions {
  out: string;
  config?: string;
  scene?: string;
  dataset?: string[];
  steps?: number;
  seed: number;
  collectors?: number;
  resume?: boolean;
  init?: string;
}

/**
 * Errors of the training library as one-line CLI errors: exit 2 for the user's
 * input, 1 for a failed run. The library (tfjs and all) loads only when a
 * training or evaluation command runs, so `pincer --help` stays fast.
 */
export async function asCli<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const [{ RunError, CheckpointError, CollectorError }, { DatasetError }] = await Promise.all([import('../../qtopt/node.js'), import('../../data/index.js')]);
    if (err instanceof RunError) throw err.usage ? new UsageError(err.message) : new PincerError(err.message);
    if (err instanceof DatasetError) throw err.usage ? new UsageError(err.message) : new PincerError(err.message);
    if (err instanceof CheckpointError) throw new UsageError(err.message);
    if (err instanceof CollectorError) throw new PincerError(err.message);
    throw err;
  }
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a QT-Opt grasp policy: offline from datasets (or a bootstrap collection), then online with collectors')
    .requiredOption('--out <dir>', 'run folder (runs/NAME): config.json, metrics.jsonl, episodes/, checkpoints/, eval/')
    .option('--config <file>', 'JSON with QtOptConfig fields to change (network, cem, bellman, optimizer, replay, exploration, train) and "run" settings')
    .option('--scene <file>', 'scene JSON file (default: scenes/bin.json)')
    .option('--dataset <dirs...>', 'offline LeRobot datasets from pincer collect (default: collect a bootstrap dataset)')
    .option('--steps <n>', 'total gradient steps (offline steps stay as configured, capped at N; the rest are online)', parsePositiveInt('--steps'))
    .option('--seed <s>', 'seed of everything random in the run', parseNonNegativeInt('--seed'), 0)
    .option('--collectors <k>', 'collector processes (0: collect inline, deterministically)', parseNonNegativeInt('--collectors'))
    .option('--init <path>', 'start from this checkpoint or run folder\'s network (its best checkpoint), e.g. online fine-tuning of an offline policy')
    .option('--resume', 'continue the run in --out from its newest checkpoint (same flags and config; a larger --steps trains a finished run on)')
    .option('--json', 'print one JSON object on stdout')
    .option('--progress', 'show the progress bar on stderr even when it is not a TTY')
    .addHelpText(
      'after',
      `
Examples:
  pincer train --out runs/easy --scene scenes/bin-easy.json --seed 1
  pincer train --out runs/offline --dataset data/mix --config offline.json --collectors 0
  pincer train --out runs/easy --scene scenes/bin-easy.json --seed 1 --resume
  pincer train --out runs/tiny --config tiny.json --steps 200 --collectors 0 --json
  pincer train --out runs/bin-lookup --scene scenes/bin.json --config configs/bin-lookup.json --seed 1
  pincer train --out runs/online --scene scenes/bin.json --init assets/policies/default --config online.json`,
    )
    .action(async (flags: TrainFlags) => {
      const out: OutputOptions = { json: flags.json, progress: flags.progress };
      const result = await asCli(() => runTrain(flags, out));
      emit(out, result as unknown as Record<string, unknown>, (r) => {
        const t = r as unknown as TrainResult;
        const v = t.last_validation;
        return [
          t.interrupted ? `interrupted at gradient step ${t.steps} (checkpointed); add --resume to continue` : '',
          `${t.dir}: ${t.steps} gradient steps, ${t.online_episodes} online episodes (${t.online_env_steps} env steps) in ${t.elapsed_s.toFixed(0)} s`,
          `offline data: ${t.offline.episodes} episodes, ${t.offline.transitions} transitions, ${(t.offline.success_rate * 100).toFixed(1)}% success`,
          v ? `last validation: ${v.successes}/${v.episodes} = ${v.success_rate.toFixed(3)} (95% CI ${v.success_ci95[0].toFixed(3)}-${v.success_ci95[1].toFixed(3)})` : 'no validation yet',
          t.best ? `best checkpoint: step ${t.best.step}, validation ${t.best.validation_success.toFixed(3)}` : '',
        ]
          .filter(Boolean)
          .join('\n');
      });
    });
}

/** The --config file, its extends laid under it; its errors are the user's, naming the flag. */
function configFile(path: string, read: (path: string) => unknown): unknown {
  try {
    return read(path);
  } catch (err) {
    throw new UsageError(`--config ${(err as Error).message}`);
  }
}

async function runTrain(flags: TrainFlags, out: OutputOptions): Promise<TrainResult> {
  const { buildRunConfig, readConfigFile, train } = await import('../../qtopt/node.js');
  const { scene } = resolveScene(flags.scene);
  const config = buildRunConfig({
    file: flags.config === undefined ? {} : configFile(flags.config, readConfigFile),
    source: flags.config ?? '--config',
    scene,
    seed: flags.seed,
    datasets: flags.dataset ?? [],
    steps: flags.steps,
    collectors: flags.collectors,
    init: flags.init,
  });
  const bar = showProgress(out)
    ? new cliProgress.SingleBar(
        {
          stream: process.stderr,
          noTTYOutput: true,
          notTTYSchedule: 2000,
          format: 'train {phase} [{bar}] {value}/{total} steps | env {env} | success {success} | loss {loss} | {sps} steps/s',
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let started = false;
  const onProgress = (p: TrainProgress) => {
    if (!bar) return;
    const payload = {
      phase: p.phase === 'bootstrap' ? `bootstrap ${p.bootstrapEpisodes ?? 0} episodes` : p.phase,
      env: p.envSteps,
      success: p.recentSuccess === null ? '-' : p.recentSuccess.toFixed(2),
      loss: p.loss === null ? '-' : p.loss.toFixed(4),
      sps: p.stepsPerS.toFixed(1),
    };
    if (!started) bar.start(p.totalSteps, p.step, payload);
    started = true;
    bar.update(p.step, payload);
  };
  // Ctrl-C: finish the current gradient step, checkpoint it, and return (in the bootstrap: keep the episodes
  // written); a second Ctrl-C quits at once.
  const controller = new AbortController();
  const onInterrupt = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
    process.stderr.write('\npincer: stopping after this gradient step or bootstrap episode (Ctrl-C again to quit now; --resume continues either way)\n');
  };
  process.on('SIGINT', onInterrupt);
  try {
    return await train({ out: flags.out, config, resume: flags.resume === true, onProgress, log: (line) => log(out, line), signal: controller.signal });
  } finally {
    process.off('SIGINT', onInterrupt);
    bar?.stop();
  }
}
