/**
 * `pincer rollout`: run a built-in policy in GraspEnv for N episodes and report
 * detected success (Wilson 95% interval), the detector's agreement with
 * simulator ground truth, and why grasps failed and success by object family
 * (from ground truth, for diagnosis; src/env/outcome.ts).
 */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { detectorCounts, outcomeBreakdown, runEpisode, type DetectorCounts, type EpisodeRecord, type OutcomeBreakdown, type StepInfo } from '../../env/index.js';
import { LIBRARY_FAMILIES, type LibrarySplit } from '../../objects/index.js';
import { createPolicy, POLICY_NAMES, type PolicyName } from '../../policies/index.js';
import { deriveSeed } from '../../random/index.js';
import { wilsonInterval } from '../../report/index.js';
import { UsageError } from '../errors.js';
import { emit, outcomeLines, parseChoice, parseNonNegativeInt, parsePositiveInt, showProgress, type OutputOptions } from '../io.js';
import { envForSplit, resolveScene, SPLIT_FLAG } from '../scene-env.js';

interface RolloutOptions extends OutputOptions {
  policy: PolicyName;
  split: LibrarySplit;
  family?: string;
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
    .option('--family <kind>', `only objects of this library family: ${LIBRARY_FAMILIES.join('|')}`, parseChoice('--family', LIBRARY_FAMILIES))
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
  pincer rollout --split test --family compound --episodes 200 --json
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
          ...outcomeLines(r as unknown as OutcomeBreakdown),
          `${r.env_steps} env steps, ${(r.env_steps_per_s as number).toFixed(1)} steps/s`,
        ].join('\n');
      });
    });
}

async function rollout(opts: RolloutOptions): Promise<Record<string, unknown>> {
  const { scene, source } = resolveScene(opts.scene);
  if (opts.family !== undefined && opts.objects !== undefined) throw new UsageError('--family picks library objects; it cannot be used with --objects');
  const env = await envForSplit(scene, opts.split, opts.objects, opts.family);
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
  const finalInfos: StepInfo[] = [];
  let steps = 0;
  let successes = 0;
  const t0 = performance.now();
  try {
    for (let i = 0; i < opts.episodes; i++) {
      const { record, finalInfo } = runEpisode(env, policy, deriveSeed(opts.seed, i));
      records.push({ success: record.success, groundTruthSuccess: record.groundTruthSuccess });
      finalInfos.push(finalInfo);
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
    family: opts.family ?? null,
    scene: source,
    seed: opts.seed,
    episodes: opts.episodes,
    successes,
    success_rate: successes / opts.episodes,
    success_ci95: wilsonInterval(successes, opts.episodes),
    ground_truth_successes: records.filter((r) => r.groundTruthSuccess).length,
    detector: detectorCounts(records),
    ...outcomeBreakdown(finalInfos, { byObject: opts.objects !== undefined }),
    env_steps: steps,
    env_steps_per_s: steps / seconds,
  };
}
