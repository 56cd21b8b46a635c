/**
 * `pincer eval`: a trained policy (run or checkpoint) or a built-in one over N
 * episodes of a split. Episode i uses seed deriveSeed(S, i) for every policy,
 * so two policies evaluated with the same --seed meet the same bins.
 */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { Policy } from '../../env/index.js';
import type { LibrarySplit } from '../../objects/index.js';
import { POLICY_NAMES, createPolicy, type PolicyName } from '../../policies/index.js';
import type { CalibrationBin, EvalSummary, PolicySearch, TrainedPolicy } from '../../qtopt/node.js';
import { UsageError } from '../errors.js';
import { emit, outcomeLines, parseNonNegativeInt, parsePositiveInt, parseSearch, showProgress, type OutputOptions } from '../io.js';
import { SPLIT_FLAG, envForSplit, resolveScene } from '../scene-env.js';
import { asCli } from './train.js';

interface EvalFlags extends OutputOptions {
  policy: string;
  split: LibrarySplit;
  objects?: string;
  scene?: string;
  episodes: number;
  seed: number;
  cem?: PolicySearch;
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('evaluate a policy: success with its Wilson 95% interval, detector agreement, speed, failures by kind and family, calibration of predicted success')
    .requiredOption('--policy <policy>', 'a run folder (its best checkpoint on validation), a checkpoint folder, scripted or random')
    .option(...SPLIT_FLAG, 'test')
    .option('--objects <dir>', 'use the OBJ/URDF objects in this directory instead of a library split')
    .option('--scene <file>', "scene JSON file (default: the run's scene, else scenes/bin.json)")
    .option('--episodes <n>', 'episodes to run', parsePositiveInt('--episodes'), 100)
    .option('--seed <s>', 'seed; episode i uses deriveSeed(seed, i) whatever the policy', parseNonNegativeInt('--seed'), 0)
    .option('--cem <S/E/I>', "a trained policy's CEM search: samples/elites/iterations (default: its config's)", parseSearch('--cem'))
    .option('--json', 'print one JSON object on stdout')
    .option('--progress', 'show a progress bar on stderr even when it is not a TTY')
    .addHelpText(
      'after',
      `
Examples:
  pincer eval --policy runs/easy --split test --episodes 200 --seed 1
  pincer eval --policy runs/easy/checkpoints/step-00004000 --split validation --episodes 50 --json
  pincer eval --policy runs/easy --split validation --episodes 1000 --seed 9 --cem 256/16/4
  pincer eval --policy scripted --split test --episodes 200 --seed 1     # same episodes as above
  pincer eval --policy runs/easy --objects assets/objects --episodes 50`,
    )
    .action(async (flags: EvalFlags) => {
      const out: OutputOptions = { json: flags.json, progress: flags.progress };
      const result = await asCli(() => evaluate(flags, out));
      emit(out, result, human);
    });
}

async function evaluate(flags: EvalFlags, out: OutputOptions): Promise<Record<string, unknown>> {
  const { loadTrainedPolicy, describeSearch, RunDir, runEvaluation, summarizeEvaluation } = await import('../../qtopt/node.js');
  let policy: Policy;
  let trained: TrainedPolicy | null = null;
  if ((POLICY_NAMES as readonly string[]).includes(flags.policy)) {
    if (flags.cem) throw new UsageError(`--cem sets a trained policy's search; ${flags.policy} has none`);
    policy = createPolicy(flags.policy as PolicyName, resolveScene(flags.scene).scene);
  } else {
    const { initBackend } = await import('../../tf/node.js');
    await initBackend();
    trained = loadTrainedPolicy(flags.policy, { search: flags.cem });
    policy = trained.policy;
  }
  const { scene, source } = flags.scene === undefined && trained?.scene ? { scene: trained.scene, source: `${flags.policy} (config.json)` } : resolveScene(flags.scene);
  if (trained) {
    const n = trained.config.network;
    if (n.imageWidth !== scene.camera.width || n.imageHeight !== scene.camera.height) {
      throw new UsageError(`${trained.checkpoint} takes ${n.imageWidth}x${n.imageHeight} images; the scene ${source} renders ${scene.camera.width}x${scene.camera.height}`);
    }
  }
  const env = await envForSplit(scene, flags.split, flags.objects);
  const bar = showProgress(out)
    ? new cliProgress.SingleBar(
        { stream: process.stderr, noTTYOutput: true, notTTYSchedule: 2000, format: 'eval [{bar}] {value}/{total} episodes | successes {successes}' },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(flags.episodes, 0, { successes: 0 });
  let summary: EvalSummary;
  try {
    const { episodes, policyMsPerStep } = runEvaluation(env, policy, {
      episodes: flags.episodes,
      seed: flags.seed,
      onEpisode: (done, successes) => bar?.update(done, { successes }),
    });
    summary = summarizeEvaluation(episodes, policyMsPerStep, { byObject: flags.objects !== undefined });
  } finally {
    bar?.stop();
    env.close();
    trained?.net.dispose();
  }
  const result = {
    policy: trained ? trained.checkpoint : flags.policy,
    step: trained?.step ?? null,
    cem: trained ? describeSearch(trained.policy.search) : null,
    split: flags.objects === undefined ? flags.split : 'external',
    scene: source,
    seed: flags.seed,
    ...summary,
  };
  // A run keeps its evaluations in eval/, beside the periodic validation ones (`pincer select` finds its own there).
  if (trained?.runDir) RunDir.open(trained.runDir).writeEval(evalName(result.split, trained.step, flags.seed, flags.episodes, result.cem!), result);
  return result;
}

/** The eval/ file name of one evaluation of a run's checkpoint. */
export function evalName(split: string, step: number, seed: number, episodes: number, cem: string): string {
  return `${split}-step-${step}-seed-${seed}-n-${episodes}-cem-${cem.replaceAll('/', '-')}`;
}

function human(r: Record<string, unknown>): string {
  const s = r as unknown as EvalSummary & { policy: string; split: string; cem: string | null };
  const pct = (x: number | null) => (x === null ? '   -' : x.toFixed(2));
  const lines = [
    `${s.policy}${s.cem ? ` (CEM ${s.cem})` : ''} on ${s.split}: ${s.successes}/${s.episodes} successes = ${s.success_rate.toFixed(3)} (95% CI ${s.success_ci95[0].toFixed(3)}-${s.success_ci95[1].toFixed(3)}), ${s.mean_steps.toFixed(1)} steps per episode`,
    `detector vs ground truth: agreement ${s.detector.agreement.toFixed(3)} (tp ${s.detector.tp}, fp ${s.detector.fp}, tn ${s.detector.tn}, fn ${s.detector.fn})`,
    `policy: ${s.policy_ms_per_step.toFixed(2)} ms per step`,
    ...outcomeLines(s),
  ];
  if (s.calibration.length > 0) {
    lines.push('calibration (predicted success at the first step vs realized):', '  bin         episodes  predicted  realized  95% CI');
    for (const b of s.calibration as CalibrationBin[]) {
      const ci = b.realized_ci95 ? `${b.realized_ci95[0].toFixed(2)}-${b.realized_ci95[1].toFixed(2)}` : '-';
      lines.push(`  ${b.lo.toFixed(1)}-${b.hi.toFixed(1)}     ${String(b.episodes).padStart(8)}  ${pct(b.mean_predicted).padStart(9)}  ${pct(b.realized).padStart(8)}  ${ci}`);
    }
  }
  return lines.join('\n');
}
