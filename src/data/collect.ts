/**
 * Dataset collection with K `worker_threads`. Episode i always runs from seed
 * deriveSeed(S, i) and lands at index i, whatever K and whichever worker ran
 * it: workers finish out of order, the main thread holds finished episodes
 * until every earlier one is written, then appends them in order. Each worker
 * has at most PREFETCH episodes assigned, so that reorder buffer stays small.
 */
import { Worker } from 'node:worker_threads';
import type { SceneConfig } from '../scene/index.js';
import { deriveSeed } from '../random/index.js';
import { ensureDisplay } from '../render/index.js';
import { DatasetError } from './errors.js';
import type { PreparedEpisode } from './episode.js';
import { DEFAULT_CAMERA, DEFAULT_TASK, ROBOT_TYPE, type DatasetSpec } from './features.js';
import { sizeOnDisk } from './store.js';
import { DatasetWriter } from './writer.js';

/** Episodes assigned to a worker at once: one running, one queued, so it never waits on the main thread. */
const PREFETCH = 2;

/** What a collector thread needs to build its env and policy. */
export interface CollectWorkerConfig {
  scene: SceneConfig;
  split: 'train' | 'test';
  /** Directory of objects to use instead of the library split. */
  objectsDir: string | null;
  /** A `--policy` string (policy-spec.ts). */
  policy: string;
}

export type ToWorker = { type: 'episode'; index: number; seed: number } | { type: 'stop' };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'episode'; index: number; prepared: PreparedEpisode; envMs: number; prepareMs: number }
  | { type: 'error'; message: string };

export interface CollectOptions extends CollectWorkerConfig {
  dir: string;
  /** Episodes the dataset should hold when done. */
  episodes: number;
  seed: number;
  workers: number;
  /** Continue an existing dataset (collected with the same settings) instead of starting one. */
  resume: boolean;
  onProgress?: (p: CollectProgress) => void;
}

export interface CollectProgress {
  episodes: number;
  target: number;
  successes: number;
  frames: number;
  elapsedS: number;
  /** Episodes written by this run per second. */
  episodesPerS: number;
}

export interface CollectResult {
  dir: string;
  episodes: number;
  /** Episodes written by this run (the rest were there before a --resume). */
  written: number;
  frames: number;
  successes: number;
  success_rate: number;
  workers: number;
  elapsed_s: number;
  episodes_per_s: number;
  frames_per_s: number;
  /** Mean time per episode inside a worker: env steps and rendering, then PNG encoding. */
  env_ms_per_episode: number;
  png_ms_per_episode: number;
  /** Mean main-thread time per episode: parquet layout, file and metadata writes. */
  writer_ms_per_episode: number;
  size_bytes: number;
  bytes_per_1000_frames: number;
  rss_start_mb: number;
  rss_end_mb: number;
  rss_max_mb: number;
}

/** The dataset spec a scene implies. */
export function specForScene(scene: SceneConfig): DatasetSpec {
  return {
    camera: DEFAULT_CAMERA,
    imageWidth: scene.camera.width,
    imageHeight: scene.camera.height,
    fps: 1 / scene.action.stepDuration,
    task: DEFAULT_TASK,
    robotType: ROBOT_TYPE,
  };
}

/** The settings recorded in meta/pincer.json; a resume must match them all. */
function sourceOf(opts: CollectOptions): Record<string, unknown> {
  return { command: 'collect', policy: opts.policy, seed: opts.seed, split: opts.split, objects: opts.objectsDir, scene: opts.scene };
}

function openWriter(opts: CollectOptions): DatasetWriter {
  const source = sourceOf(opts);
  if (!opts.resume) return DatasetWriter.create(opts.dir, specForScene(opts.scene), source);
  const writer = DatasetWriter.resume(opts.dir);
  const previous = writer.header.source;
  for (const key of Object.keys(source)) {
    if (JSON.stringify(previous[key]) !== JSON.stringify(source[key])) {
      writer.close();
      const was = key === 'scene' ? 'a different scene' : `${key} ${JSON.stringify(previous[key])}`;
      throw new DatasetError(`${opts.dir} was collected with ${was}; resume with the same settings`, true);
    }
  }
  return writer;
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

export async function collect(opts: CollectOptions): Promise<CollectResult> {
  const rssStart = process.memoryUsage().rss;
  let rssMax = rssStart;
  const writer = openWriter(opts);
  const startEpisodes = writer.totalEpisodes;
  const startFrames = writer.totalFrames;
  const t0 = performance.now();
  let envMs = 0;
  let pngMs = 0;
  let writerMs = 0;
  const workers: Worker[] = [];
  const exits: Promise<unknown>[] = [];
  let failed = false;
  try {
    const todo = Math.max(0, opts.episodes - startEpisodes);
    if (todo > 0) {
      await ensureDisplay();
      await new Promise<void>((resolve, reject) => {
        let nextToAssign = startEpisodes;
        const finished = new Map<number, PreparedEpisode>();
        let stopped = false;
        const fail = (err: Error) => {
          if (stopped) return;
          stopped = true;
          failed = true;
          reject(err);
        };
        const assign = (worker: Worker) => {
          if (nextToAssign >= opts.episodes) return;
          const index = nextToAssign++;
          worker.postMessage({ type: 'episode', index, seed: deriveSeed(opts.seed, index) } satisfies ToWorker);
        };
        const config: CollectWorkerConfig = { scene: opts.scene, split: opts.split, objectsDir: opts.objectsDir, policy: opts.policy };
        const count = Math.min(opts.workers, todo);
        for (let k = 0; k < count; k++) {
          const worker = new Worker(new URL('./collect-worker.js', import.meta.url), { workerData: config });
          workers.push(worker);
          exits.push(new Promise((r) => worker.once('exit', r)));
          worker.on('error', (err) => fail(err));
          worker.on('exit', (code) => {
            if (code !== 0 && !stopped) fail(new DatasetError(`collector thread ${k} exited with code ${code}`));
          });
          worker.on('message', (msg: FromWorker) => {
            if (stopped) return;
            if (msg.type === 'error') return fail(new DatasetError(`collector thread ${k}: ${msg.message}`));
            if (msg.type === 'ready') {
              for (let p = 0; p < PREFETCH; p++) assign(worker);
              return;
            }
            envMs += msg.envMs;
            pngMs += msg.prepareMs;
            finished.set(msg.index, msg.prepared);
            try {
              for (let prepared = finished.get(writer.totalEpisodes); prepared; prepared = finished.get(writer.totalEpisodes)) {
                finished.delete(writer.totalEpisodes);
                writerMs += writer.append(prepared).ms;
                rssMax = Math.max(rssMax, process.memoryUsage().rss);
                const elapsedS = (performance.now() - t0) / 1000;
                opts.onProgress?.({
                  episodes: writer.totalEpisodes,
                  target: opts.episodes,
                  successes: writer.successes,
                  frames: writer.totalFrames,
                  elapsedS,
                  episodesPerS: (writer.totalEpisodes - startEpisodes) / elapsedS,
                });
              }
            } catch (err) {
              return fail(err as Error);
            }
            assign(worker);
            if (writer.totalEpisodes >= opts.episodes) {
              stopped = true;
              resolve();
            }
          });
        }
      });
    }
  } finally {
    // A failed run stops its threads at once; a finished one lets them free their env.
    for (const w of workers) {
      if (failed) void w.terminate();
      else w.postMessage({ type: 'stop' } satisfies ToWorker);
    }
    await Promise.all(exits);
    writer.close();
  }
  const elapsedS = (performance.now() - t0) / 1000;
  const written = writer.totalEpisodes - startEpisodes;
  const size = sizeOnDisk(opts.dir);
  const rssEnd = process.memoryUsage().rss;
  const per = (ms: number) => (written > 0 ? Math.round((ms / written) * 100) / 100 : 0);
  return {
    dir: opts.dir,
    episodes: writer.totalEpisodes,
    written,
    frames: writer.totalFrames,
    successes: writer.successes,
    success_rate: writer.totalEpisodes > 0 ? writer.successes / writer.totalEpisodes : 0,
    workers: opts.workers,
    elapsed_s: Math.round(elapsedS * 100) / 100,
    episodes_per_s: written > 0 ? written / elapsedS : 0,
    frames_per_s: written > 0 ? (writer.totalFrames - startFrames) / elapsedS : 0,
    env_ms_per_episode: per(envMs),
    png_ms_per_episode: per(pngMs),
    writer_ms_per_episode: per(writerMs),
    size_bytes: size,
    bytes_per_1000_frames: writer.totalFrames > 0 ? Math.round((size / writer.totalFrames) * 1000) : 0,
    rss_start_mb: mb(rssStart),
    rss_end_mb: mb(rssEnd),
    rss_max_mb: mb(Math.max(rssMax, rssEnd)),
  };
}
