/**
 * `pincer quickstart`: the main job at small scale, as a new user's first run.
 * It runs the real commands in sequence (no separate code path), so what it
 * shows is exactly what those commands do at full scale.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parsePositiveInt } from '../io.js';

interface QuickstartOptions {
  out: string;
  episodes: number;
}

export function registerQuickstart(program: Command): void {
  program
    .command('quickstart')
    .description('small end-to-end run: sample images, scripted and random grasps on held-out objects, a small dataset')
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
      // A fresh dataset each time, so a quickstart with other flags never resumes a mismatched one.
      if (existsSync(dataset)) rmSync(dataset, { recursive: true, force: true });
      await run('A small grasp dataset (LeRobot v2.1), scripted with ε-noise', [
        'collect', '--policy', 'scripted+eps:0.2', '--episodes', String(Math.min(opts.episodes, 10)), '--out', dataset, '--seed', '1',
      ]);
      await run('Validate it', ['dataset', 'validate', dataset]);
      process.stdout.write(`\nDone. Images in ${images}, dataset in ${dataset}. Next: pincer --help\n`);
    });
}
