/**
 * `pincer bench grasp`: can the Q-network tell a good final grasp from a bad one?
 * It trains the network of a QtOptConfig as a plain classifier on the final
 * transitions of a dataset (the reward there is the detected success of the grasp
 * the env makes after that action: no bootstrapping, no CEM) and reports held-out
 * log loss and ROC AUC, overall and within each collecting policy. Within one
 * policy is what counts: across policies the network can score well by telling
 * which policy acted.
 *
 * `--approach K` checks the approach instead: on each episode's first K steps, can
 * the network tell the move the data made in that image from another episode's
 * move at the same step? An image-blind network scores AUC 0.5. Past the first step
 * it also scores by continuing the previous move (the gripper's displacement shows
 * in the image without any object), so K = 1 is the clean check.
 *
 * `--init` starts from a checkpoint's network; with `--steps 0` it asks the same of
 * a Q-function learned by `pincer train`: does Q(s, a) rank the data's move first?
 *
 * Only the flags live here; the check loads on use.
 */
import type { Command } from 'commander';
import { parseNonNegativeInt, parseNumber, parsePositiveInt } from '../io.js';
import type { BenchGraspOptions } from './bench-grasp-run.js';

export function registerBenchGrasp(bench: Command): void {
  bench
    .command('grasp')
    .description('supervised checks of the Q-network: held-out log loss and AUC on final grasps (default) or on the approach (--approach K); trained here, or a saved one as it is (--init, --steps 0)')
    .requiredOption('--dataset <dir>', 'LeRobot dataset written by pincer collect (its camera size must match the network)')
    .option('--config <file>', 'QtOptConfig JSON whose network and optimizer are used (default: the defaults)')
    .option('--steps <n>', 'gradient steps (0: evaluate --init as it is)', parseNonNegativeInt('--steps'), 1000)
    .option('--eval-every <n>', 'gradient steps between held-out evaluations', parsePositiveInt('--eval-every'), 250)
    .option('--holdout <f>', 'fraction of episodes (the last ones) held out', parseNumber('--holdout'), 0.15)
    .option('--seed <n>', 'seed for weights and batch sampling', parseNonNegativeInt('--seed'), 0)
    .option('--approach <k>', "the approach check on each episode's first K steps: the data's dx, dy in that image against another episode's at the same step (K = 1 is the clean check: later steps also reward continuing the previous move)", parsePositiveInt('--approach'))
    .option('--init <checkpoint|run>', "start from this network (its config and weights) instead of a fresh one; with --steps 0, check a trained Q-function as it is")
    .option('--json', 'print one JSON object')
    .option('--progress', 'log to stderr even when it is not a TTY')
    .addHelpText(
      'after',
      `
Examples:
  pincer collect --policy "mixture:scripted+noise:0.3=0.5,random+down:0.9=0.5" --episodes 4000 \\
    --scene scenes/bin-easy.json --out data/easy-mix4k --workers 2
  pincer bench grasp --dataset data/easy-mix4k --config configs/qnet-keypoints.json --json
  pincer bench grasp --dataset runs/bin-mc-s1/bootstrap/scripted --config configs/bin-2h-mc.json --approach 2 --steps 2000 --eval-every 500 --json
  pincer bench grasp --dataset runs/bin-mc-s1/bootstrap/scripted --init runs/kp-n4-a1/checkpoints/step-00004000 --approach 1 --steps 0 --json`,
    )
    .action(async (opts: BenchGraspOptions) => (await import('./bench-grasp-run.js')).benchGrasp(opts));
}
