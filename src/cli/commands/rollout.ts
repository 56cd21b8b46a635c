/**
 * `pincer rollout`: run a built-in policy in GraspEnv for N episodes and report
 * detected success (Wilson 95% interval) and the detector's agreement with
 * simulator ground truth.
 */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { runEpisode, type EpisodeRecord } from '../../env/index.js';
import type { LibrarySplit } from '../../objects/index.js';
import { createPolicy, POLICY_NAMES, type PolicyName } from '../../policies/index.js';
import { deriveSeed } from '../../random/index.js';
import { wilsonInterval } from '../../report/index.js';
import { emit, parseChoice, parseNonNegativeInt, parsePositiveInt, showProgress, type OutputOptions } from '../io.js';
import { envForSplit, resolveScene, SPLIT_FLAG } from '../scene-env.js';

/** Detector vs ground truth, counting ground truth as the label. */
export interface DetectorCounts {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  agreement: number;
}

export function detectorCounts(records: readonly Pick<EpisodeRecord, 'success' | 'groundTruthSuccess'>[]): DetectorCounts {
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (const r of records) {
    if (r.success && r.groundTruthSuccess) c.tp++;
    else if (r.success) c.fp++;
    else if (r.groundTruthSuccess) c.fn++;
    else c.tn++;
  }
  return { ...c, agreement: records.length === 0 ? 0 : (c.tp + c.tn) / records.length };
}

interface RolloutOptions extends OutputOptions {
  policy: PolicyName;
  split: LibrarySplit;
  objects?: string;
  scene?: string;
  episodes: number;
  seed: number;
}

export function registerRollout(program: Command): void {
  program
    .command('rollout')
    .description('run a built-in policy for N episodes; report success rate (Wilson 95% CI) and detector agreement with ground truth')
    .option('--policy <name>', `policy: ${POLICY_NAMES.join('|')}`, parseChoice('--policy', POLICY_NAMES), 'scripted')
    .option(...SPLIT_FLAG, 'train')
    .option('--objects <dir>', 'use the OBJ/URDF objects in this directory instead of the library split')
    .option('--scene <file>', 'scene JSON file (default: scenes/bin.json)')
    .option('--episodes <n>', 'episodes to run', parsePositiveInt('--episodes'), 10)
    .option('--seed <s>', 'seed; episode i uses deriveSeed(seed, i)', parseNonNegativeInt('--seed'), 0)
    .option('--json', 'print one JSON object on stdout')
    .option('--progress', 'show a progress bar on stderr even when it is not a TTY')
    .addHelpText(
      'after',
      `
Examples:
  pincer rollout --policy scripted --split test --episodes 100 --json
  pincer rollout --policy random --episodes 50 --seed 3
  pincer rollout --scene scenes/bin-easy.json --policy scripted --episodes 20
  pincer rollout --objects assets/my-objects --episodes 10`,
    )
    .action(async (opts: RolloutOptions) => {
      const result = await rollout(opts);
      emit(opts, result, (r) => {
        const ci = r.success_ci95 as [number, number];
        const d = r.detector as DetectorCounts;
        return [
          `${r.policy} on ${r.split}: ${r.successes}/${r.episodes} detected successes = ${(r.success_rate as number).toFixed(3)} (95% CI ${ci[0].toFixed(3)}-${ci[1].toFixed(3)})`,
          `detector vs ground truth: agreement ${d.agreement.toFixed(3)} (tp ${d.tp}, fp ${d.fp}, tn ${d.tn}, fn ${d.fn})`,
          `${r.env_steps} env steps, ${(r.env_steps_per_s as number).toFixed(1)} steps/s`,
        ].join('\n');
      });
    });
}

async function rollout(opts: RolloutOptions): Promise<Record<string, unknown>> {
  const { scene, source } = resolveScene(opts.scene);
  const env = await envForSplit(scene, opts.split, opts.objects);
  const policy = createPolicy(opts.policy, scene);
  const bar = showProgress(opts)
    ? new cliProgress.SingleBar(
        // noTTYOutput: --progress asks for the bar even when stderr is a file or pipe.
        { stream: process.stderr, noTTYOutput: true, notTTYSchedule: 2000, format: 'rollout [{bar}] {value}/{total} episodes | successes {successes}' },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(opts.episodes, 0, { successes: 0 });
  const records: Pick<EpisodeRecord, 'success' | 'groundTruthSuccess'>[] = [];
  let steps = 0;
  let successes = 0;
  const t0 = performance.now();
  try {
    for (let i = 0; i < opts.episodes; i++) {
      const { record } = runEpisode(env, policy, deriveSeed(opts.seed, i));
      records.push({ success: record.success, groundTruthSuccess: record.groundTruthSuccess });
      steps += record.steps.length;
      successes += record.success ? 1 : 0;
      bar?.update(i + 1, { successes });
    }
  } finally {
    bar?.stop();
    env.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    policy: opts.policy,
    split: opts.objects === undefined ? opts.split : 'external',
    scene: source,
    seed: opts.seed,
    episodes: opts.episodes,
    successes,
    success_rate: successes / opts.episodes,
    success_ci95: wilsonInterval(successes, opts.episodes),
    ground_truth_successes: records.filter((r) => r.groundTruthSuccess).length,
    detector: detectorCounts(records),
    env_steps: steps,
    env_steps_per_s: steps / seconds,
  };
}
