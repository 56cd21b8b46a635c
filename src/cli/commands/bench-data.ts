/**
 * `pincer bench data`: collection rate with 1 and 2 collector processes (same
 * seed, so the two datasets must be identical byte for byte), the writer's
 * own cost measured apart from the env (re-writing the collected episodes),
 * and size on disk per 1000 frames.
 *
 * `pincer bench data-scale`: one long collection (10k episodes by default)
 * sampling the resident memory of the writer and of the collectors, to show
 * it stays flat.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { DatasetReader, DatasetWriter, collect, prepareEpisode, type CollectResult } from '../../data/index.js';
import { emit, log, parseNonNegativeInt, parsePositiveInt, type OutputOptions } from '../io.js';
import { resolveScene } from '../scene-env.js';
import { clock, round, since, trackLoad } from '../bench-measure.js';

interface BenchDataOptions extends OutputOptions {
  episodes: number;
  policy: string;
  scene?: string;
  seed: number;
  rewrites: number;
  repeats: number;
}

/** Every file under `dir`, relative path -> bytes. */
function filesOf(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

function sameFiles(a: string, b: string): boolean {
  const fa = filesOf(a);
  const fb = filesOf(b);
  return fa.size === fb.size && [...fa].every(([rel, bytes]) => fb.get(rel)?.equals(bytes) === true);
}


function rateSummary(r: CollectResult) {
  return {
    episodes_per_s: round(r.episodes_per_s, 3),
    steady_episodes_per_s: round(r.steady_episodes_per_s, 3),
    startup_s: r.startup_s,
    frames_per_s: round(r.frames_per_s, 2),
    elapsed_s: r.elapsed_s,
    env_cpu_ms_per_episode: r.env_cpu_ms_per_episode,
    png_cpu_ms_per_episode: r.png_cpu_ms_per_episode,
    writer_cpu_ms_per_episode: r.writer_cpu_ms_per_episode,
    writer_ms_per_episode: r.writer_ms_per_episode,
    collector_wait_ms_per_episode: r.collector_wait_ms_per_episode,
  };
}

async function benchData(opts: BenchDataOptions): Promise<Record<string, unknown>> {
  const { scene, source } = resolveScene(opts.scene);
  const root = mkdtempSync(join(tmpdir(), 'pincer-bench-data-'));
  try {
    const base = { episodes: opts.episodes, seed: opts.seed, resume: false, policy: opts.policy, scene, split: 'train' as const, objectsDir: null };
    const load = trackLoad();
    // Alternate 1 and 2 collectors so a change in the machine's load hits both alike.
    const ones: CollectResult[] = [];
    const twos: CollectResult[] = [];
    // Every run uses the same seed, so every dataset must equal the first byte for byte.
    let identical = true;
    for (let r = 0; r < opts.repeats; r++) {
      for (const k of [1, 2]) {
        log(opts, `run ${r + 1}/${opts.repeats}: ${opts.episodes} episodes with ${k} collector(s)`);
        const dir = join(root, `k${k}-${r}`);
        (k === 1 ? ones : twos).push(await collect({ ...base, dir, workers: k }));
        if (r > 0 || k === 2) {
          identical &&= sameFiles(join(root, 'k1-0'), dir);
          rmSync(dir, { recursive: true, force: true });
        }
      }
    }
    const two = twos[0];
    const mean = (rs: CollectResult[], f: (r: CollectResult) => number) => rs.reduce((a, r) => a + f(r), 0) / rs.length;

    // The writer alone: PNG encoding and parquet/metadata writes of the same episodes, no env.
    log(opts, `re-writing them ${opts.rewrites}x without the env`);
    const reader = DatasetReader.open(join(root, 'k1-0'));
    const records = [];
    for await (const ep of reader.episodes()) records.push(ep);
    let pngMs = 0;
    let pngCpuMs = 0;
    let writerMs = 0;
    let writerCpuMs = 0;
    let written = 0;
    for (let k = 0; k < opts.rewrites; k++) {
      const w = DatasetWriter.create(join(root, `rewrite-${k}`), reader.spec, {});
      for (const record of records) {
        const t = clock();
        const prepared = prepareEpisode(record);
        const png = since(t);
        pngMs += png.wall;
        pngCpuMs += png.cpu;
        const a = w.append(prepared);
        writerMs += a.ms;
        writerCpuMs += a.cpuMs;
        written++;
      }
      w.close();
    }
    const frames = two.frames;
    const writerOnlyMsPerEpisode = (pngMs + writerMs) / written;
    const envCpu = two.env_cpu_ms_per_episode;
    return {
      policy: opts.policy,
      scene: source,
      image: `${scene.camera.width}x${scene.camera.height}`,
      episodes: opts.episodes,
      frames,
      mean_episode_length: round(frames / opts.episodes, 2),
      workers_1: ones.map(rateSummary),
      workers_2: twos.map(rateSummary),
      /** Mean over the repeats, end to end (start-up included) and after start-up. */
      speedup_2_over_1: round(mean(twos, (r) => r.episodes_per_s) / mean(ones, (r) => r.episodes_per_s), 2),
      steady_speedup_2_over_1: round(mean(twos, (r) => r.steady_episodes_per_s) / mean(ones, (r) => r.steady_episodes_per_s), 2),
      identical_across_workers: identical,
      writer_only: {
        episodes: written,
        png_ms_per_episode: round(pngMs / written, 2),
        png_cpu_ms_per_episode: round(pngCpuMs / written, 2),
        writer_ms_per_episode: round(writerMs / written, 2),
        writer_cpu_ms_per_episode: round(writerCpuMs / written, 2),
        episodes_per_s: round(1000 / writerOnlyMsPerEpisode, 1),
      },
      /** Share of an episode's CPU spent outside the env (PNG + writer), from the 2-collector run. */
      non_env_cpu_share: round((two.png_cpu_ms_per_episode + two.writer_cpu_ms_per_episode) / (envCpu + two.png_cpu_ms_per_episode + two.writer_cpu_ms_per_episode), 3),
      bytes_per_1000_frames: two.bytes_per_1000_frames,
      size_bytes: two.size_bytes,
      ...load.end(),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

interface BenchScaleOptions extends OutputOptions {
  episodes: number;
  policy: string;
  scene?: string;
  seed: number;
  workers: number;
  out?: string;
  resume?: boolean;
}

async function benchScale(opts: BenchScaleOptions): Promise<Record<string, unknown>> {
  const load = trackLoad();
  const { scene, source } = resolveScene(opts.scene);
  const dir = opts.out ?? join(mkdtempSync(join(tmpdir(), 'pincer-bench-scale-')), 'ds');
  const r = await collect({
    dir,
    episodes: opts.episodes,
    seed: opts.seed,
    workers: opts.workers,
    resume: opts.resume === true,
    policy: opts.policy,
    scene,
    split: 'train',
    objectsDir: null,
    onProgress: (p) => {
      if (p.episodes % 500 === 0) log(opts, `${p.episodes}/${p.target} episodes, ${p.episodesPerS.toFixed(2)} episodes/s, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
    },
  });
  const result = {
    scene: source,
    image: `${scene.camera.width}x${scene.camera.height}`,
    ...r,
    info_json_bytes: statSync(join(dir, 'meta/info.json')).size,
    stats_json_bytes: statSync(join(dir, 'meta/stats.json')).size,
    ...load.end(),
  };
  if (opts.out === undefined) rmSync(join(dir, '..'), { recursive: true, force: true });
  return result;
}

export function registerBenchData(bench: Command): void {
  bench
    .command('data')
    .description('dataset collection rate with 1 vs 2 collectors, writer cost apart from the env, size per 1000 frames')
    .option('--episodes <n>', 'episodes per collection', parsePositiveInt('--episodes'), 20)
    .option('--policy <spec>', 'collection policy (as pincer collect --policy)', 'scripted')
    .option('--scene <file>', 'scene JSON file (default: scenes/bin.json)')
    .option('--seed <s>', 'collection seed', parseNonNegativeInt('--seed'), 0)
    .option('--rewrites <n>', 'times the collected episodes are re-written to time the writer alone', parsePositiveInt('--rewrites'), 5)
    .option('--repeats <n>', 'alternating 1- and 2-collector runs of each', parsePositiveInt('--repeats'), 2)
    .option('--json', 'print one JSON object on stdout')
    .option('--progress', 'log stages on stderr even when it is not a TTY')
    .addHelpText('after', '\nExamples:\n  pincer bench data --json\n  pincer bench data --episodes 40 --policy random --json')
    .action(async (opts: BenchDataOptions) => emit(opts, await benchData(opts)));

  bench
    .command('data-scale')
    .description('a long collection (10k episodes by default) sampling writer and collector memory')
    .option('--episodes <n>', 'episodes to collect', parsePositiveInt('--episodes'), 10_000)
    .option('--policy <spec>', 'collection policy (as pincer collect --policy)', 'random')
    .option('--scene <file>', 'scene JSON file (default: scenes/bin.json)')
    .option('--seed <s>', 'collection seed', parseNonNegativeInt('--seed'), 0)
    .option('--workers <k>', 'collector processes', parsePositiveInt('--workers'), 2)
    .option('--out <dir>', 'keep the dataset here (default: a temp directory, removed after)')
    .option('--resume', 'continue an interrupted run in --out')
    .option('--json', 'print one JSON object on stdout')
    .option('--progress', 'log every 500 episodes on stderr even when it is not a TTY')
    .addHelpText('after', '\nExamples:\n  pincer bench data-scale --scene /tmp/tiny.json --json\n  pincer bench data-scale --episodes 2000 --out /tmp/scale --progress --json')
    .action(async (opts: BenchScaleOptions) => emit(opts, await benchScale(opts)));
}
