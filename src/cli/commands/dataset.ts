/**
 * `pincer dataset info|validate|sample`: inspect, check and look at LeRobot
 * v2.1 grasp datasets written by `pincer collect`.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DatasetError, DatasetReader, contactSheet, summarizeDataset, validateDataset, type DatasetSummary, type ValidationReport } from '../../data/index.js';
import { gripperState } from '../../env/index.js';
import { encodePng } from '../../render/node.js';
import { PincerError, UsageError } from '../errors.js';
import { emit, parseNonNegativeInt, parsePositiveInt, type OutputOptions } from '../io.js';
import { writeFileAtomic } from '../../fsutil/index.js';

/** Dataset errors become one-line CLI errors: exit 2 for a wrong directory or request, 1 for damaged data. */
async function asCli<T>(work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof DatasetError) throw err.usage ? new UsageError(err.message) : new PincerError(err.message);
    throw err;
  }
}

function requireDir(dir: string): void {
  if (!existsSync(dir)) throw new UsageError(`${dir} does not exist`);
}

export function registerDataset(program: Command): void {
  const dataset = program
    .command('dataset')
    .description('inspect, validate and sample LeRobot v2.1 grasp datasets')
    .addHelpText('after', '\nExamples:\n  pincer dataset info data/scripted-1k\n  pincer dataset validate data/scripted-1k\n  pincer dataset sample data/scripted-1k --episode 3 --out /tmp/ep3');

  dataset
    .command('info')
    .description('counts, success rate, object split and size on disk (reads the metadata only)')
    .argument('<dir>', 'dataset directory')
    .option('--json', 'print one JSON object on stdout')
    .addHelpText('after', '\nExamples:\n  pincer dataset info data/scripted-1k\n  pincer dataset info data/scripted-1k --json')
    .action(async (dir: string, opts: OutputOptions) => {
      requireDir(dir);
      const summary = await asCli(() => summarizeDataset(dir));
      emit(opts, summary as unknown as Record<string, unknown>, (r) => describe(r as unknown as DatasetSummary));
    });

  dataset
    .command('validate')
    .description('check schema, counts, indices, stats and that every image decodes; exit 1 naming each bad file')
    .argument('<dir>', 'dataset directory')
    .option('--json', 'print one JSON object on stdout')
    .addHelpText('after', '\nExamples:\n  pincer dataset validate data/scripted-1k\n  pincer dataset validate data/scripted-1k --json')
    .action(async (dir: string, opts: OutputOptions) => {
      requireDir(dir);
      const report = await asCli(() => validateDataset(dir));
      emit(opts, report as unknown as Record<string, unknown>, (r) => {
        const v = r as unknown as ValidationReport;
        const head = `${dir}: ${v.ok ? 'valid' : 'INVALID'}, ${v.episodes} episodes, ${v.frames} frames${v.rebuilt ? ' (metadata was behind the episode files and was rebuilt)' : ''}`;
        return [head, ...v.errors.map((e) => `  ${e}`)].join('\n');
      });
      if (!report.ok) throw new PincerError(`${dir} is invalid: ${report.errors.length} problem(s), first: ${report.errors[0]}`);
    });

  dataset
    .command('sample')
    .description("write one episode's frames as PNGs plus a contact sheet")
    .argument('<dir>', 'dataset directory')
    .requiredOption('--episode <k>', 'episode index', parseNonNegativeInt('--episode'))
    .requiredOption('--out <dir>', 'output directory (created; must be empty if it exists)')
    .option('--columns <n>', 'frames per row of the contact sheet', parsePositiveInt('--columns'), 5)
    .option('--json', 'print one JSON object on stdout')
    .addHelpText('after', '\nExamples:\n  pincer dataset sample data/scripted-1k --episode 0 --out /tmp/ep0\n  pincer dataset sample data/mix --episode 12 --out /tmp/ep12 --columns 10 --json')
    .action(async (dir: string, opts: OutputOptions & { episode: number; out: string; columns: number }) => {
      requireDir(dir);
      if (existsSync(opts.out) && readdirSync(opts.out).length > 0) throw new UsageError(`--out ${opts.out} exists and is not empty`);
      const result = await asCli(async () => {
        const reader = DatasetReader.open(dir);
        if (opts.episode >= reader.totalEpisodes) throw new DatasetError(`--episode ${opts.episode}: ${dir} holds episodes 0..${reader.totalEpisodes - 1}`, true);
        const episode = await reader.readEpisode(opts.episode);
        const { imageWidth: w, imageHeight: h } = reader.spec;
        mkdirSync(opts.out, { recursive: true });
        const frames = episode.steps.map((s) => s.observation.image);
        for (let t = 0; t < frames.length; t++) writeFileAtomic(join(opts.out, `frame_${String(t).padStart(3, '0')}.png`), encodePng(frames[t], w, h));
        const sheet = join(opts.out, 'contact_sheet.png');
        writeFileAtomic(sheet, await contactSheet(frames, w, h, opts.columns));
        const steps = episode.steps.map((s, t) => ({ frame: t, action: Array.from(s.action), reward: s.reward, done: s.done, state: Array.from(gripperState(s.observation, reader.spec.stateNames.length)) }));
        writeFileAtomic(join(opts.out, 'episode.json'), `${JSON.stringify({ episode_index: opts.episode, seed: episode.seed, policy: episode.policy, success: episode.success, ground_truth_success: episode.groundTruthSuccess, object_ids: episode.objectIds, steps }, null, 2)}\n`);
        return { dir, episode: opts.episode, out: opts.out, frames: frames.length, contact_sheet: sheet, success: episode.success, policy: episode.policy };
      });
      emit(opts, result, (r) => `wrote ${r.frames} frames and ${r.contact_sheet} (episode ${r.episode}, ${r.policy}, ${r.success ? 'success' : 'failure'})`);
    });
}

function describe(s: DatasetSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const list = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${k} ${v}`).join(', ') || '-';
  return [
    `${s.dir}: ${s.episodes} episodes, ${s.frames} frames (mean length ${s.mean_episode_length.toFixed(1)}), ${s.image.width}x${s.image.height} '${s.image.camera}' images at ${s.fps} fps`,
    `success ${s.successes}/${s.episodes} = ${pct(s.success_rate)} detected, ${pct(s.ground_truth_success_rate)} ground truth (${s.detector_disagreements} disagreements)`,
    `objects: ${list(s.object_split)} episodes by split; ${s.distinct_objects} distinct objects; policies: ${list(s.policies)}`,
    `size ${(s.size_bytes / 2 ** 20).toFixed(2)} MiB, ${(s.bytes_per_1000_frames / 2 ** 20).toFixed(2)} MiB per 1000 frames${s.rebuilt ? ' (metadata rebuilt from episode files)' : ''}`,
  ].join('\n');
}
