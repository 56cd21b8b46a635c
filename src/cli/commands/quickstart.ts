/**
 * `pincer quickstart`: the main job at small scale, as a new user's first run.
 * It runs the real commands in sequence (no separate code path), so what it
 * shows is exactly what those commands do at full scale.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { parsePositiveInt } from '../io.js';

/** The shipped default policy; quickstart evaluates it on held-out objects when it is there. */
const DEFAULT_POLICY = fileURLToPath(new URL('../../../assets/policies/default', import.meta.url));
/** Gradient steps of quickstart's training: about a minute on 2 cores at the default network. */
const QUICK_TRAIN_STEPS = 300;

/** Mean of `losses/td_loss` over the first and the last `n` logged lines of a run's metrics.jsonl. */
function lossTrend(metricsPath: string, n: number): { first: number; last: number } | null {
  const losses = readFileSync(metricsPath, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as Record<string, unknown>)['losses/td_loss'])
    .filter((v): v is number => typeof v === 'number');
  if (losses.length < 2 * n) return null;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { first: mean(losses.slice(0, n)), last: mean(losses.slice(-n)) };
}

interface QuickstartOptions {
  out: string;
  episodes: number;
}

export function registerQuickstart(program: Command): void {
  program
    .command('quickstart')
    .description('small end-to-end run: sample images, scripted and random grasps on held-out objects, a small dataset, a minute of training, the default policy on held-out objects')
    .option('--out <dir>', 'folder for the images and the dataset', 'runs/quickstart')
    .option('--episodes <n>', 'grasp episodes per policy', parsePositiveInt('--episodes'), 20)
    .addHelpText(
      'after',
      `
Examples:
  pincer quickstart
  pincer quickstart --episodes 100 --out runs/qs-100`,
    )
    .action(async (opts: QuickstartOptions, command: Command) => {
      const root = command.parent as Command;
      const run = async (title: string, args: string[]) => {
        process.stdout.write(`${title ? `\n== ${title}\n` : ''}$ pincer ${args.join(' ')}\n`);
        await root.parseAsync(args, { from: 'user' });
      };
      const images = join(opts.out, 'images');
      const dataset = join(opts.out, 'dataset');
      const n = String(opts.episodes);
      await run('Sample images (train objects, held-out test objects, randomized look)', [
        'render', '--scene', 'scenes/bin.json', '--seed', '7', '--size', '256', '--out', join(images, 'bin-train.png'),
      ]);
      await run('', ['render', '--split', 'test', '--seed', '3', '--size', '256', '--out', join(images, 'bin-test.png')]);
      await run('', ['render', '--scene', 'scenes/bin-easy.json', '--seed', '1', '--size', '128', '--out', join(images, 'bin-easy.png')]);
      await run('Scripted grasps on held-out (test) objects', ['rollout', '--policy', 'scripted', '--split', 'test', '--episodes', n, '--seed', '1']);
      await run('Random policy on held-out objects (the floor)', ['rollout', '--policy', 'random', '--split', 'test', '--episodes', n, '--seed', '1']);
      await run('Descend baseline on held-out objects (straight down, open fingers: a learned policy must beat it)', [
        'rollout', '--policy', 'descend', '--split', 'test', '--episodes', n, '--seed', '1',
      ]);
      // A fresh dataset each time, so a quickstart with other flags never resumes a mismatched one.
      if (existsSync(dataset)) rmSync(dataset, { recursive: true, force: true });
      await run('A small grasp dataset (LeRobot v2.1), scripted with ε-noise', [
        'collect', '--policy', 'scripted+eps:0.2', '--episodes', String(Math.min(opts.episodes, 10)), '--out', dataset, '--seed', '1',
      ]);
      await run('Validate it', ['dataset', 'validate', dataset]);

      const trainRun = join(opts.out, 'train');
      if (existsSync(trainRun)) rmSync(trainRun, { recursive: true, force: true });
      // Offline only (--steps caps the offline phase), a small dataset, a short validation at the end: about a minute.
      const trainConfig = join(opts.out, 'train-config.json');
      writeFileSync(trainConfig, `${JSON.stringify({ train: { learningStarts: 32, evalEpisodes: 5 } }, null, 2)}\n`);
      await run(`QT-Opt on that dataset for ${QUICK_TRAIN_STEPS} gradient steps (about a minute)`, [
        'train', '--out', trainRun, '--dataset', dataset, '--config', trainConfig, '--steps', String(QUICK_TRAIN_STEPS), '--collectors', '0', '--seed', '1',
      ]);
      const trend = lossTrend(join(trainRun, 'metrics.jsonl'), 3);
      if (trend) process.stdout.write(`TD loss (log loss): ${trend.first.toFixed(4)} over the first logged steps -> ${trend.last.toFixed(4)} over the last\n`);

      if (existsSync(DEFAULT_POLICY)) {
        // The policy brings its scene (scenes/bin.json), so it meets the held-out episodes of the baselines above.
        await run('The shipped default policy (QT-Opt from pixels, main scene) on the same held-out episodes', [
          'eval', '--policy', DEFAULT_POLICY, '--split', 'test', '--episodes', n, '--seed', '1',
        ]);
      } else {
        process.stdout.write(`\n(No shipped default policy at assets/policies/default/ yet, so it is not evaluated here.)\n`);
      }
      process.stdout.write(`\nDone. Images in ${images}, dataset in ${dataset}, training run in ${trainRun}. Next: pincer --help\n`);
    });
}
