/**
 * Dataset collection with K collector processes. Episode i always runs from
 * seed deriveSeed(S, i) and lands at index i, whatever K and whichever
 * collector ran it: collectors finish out of order, the parent holds finished
 * episodes until every earlier one is written, then appends them in order.
 * Each collector has at most PREFETCH episodes assigned, so that reorder
 * buffer stays small.
 *
 * Collectors are processes, not worker_threads: `gl`'s native addon is not
 * context-aware, so a second thread loading it fails with "Module did not
 * self-register"; one process per GL context sidesteps that. Without a
 * DISPLAY each collector starts its own Xvfb (render's ensureDisplay), which
 * quits with it: a server shared from here would quit when its last client
 * (a collector) disconnects, under the next collection in the same process.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { STATE_NAMES } from '../env/index.js';
import { LIBRARY_VERSION, type LibrarySplit } from '../objects/index.js';
import type { SceneConfig } from '../scene/index.js';
import { deriveSeed } from '../random/index.js';
import { DatasetError } from './errors.js';
import { parsePolicySpec } from './policy-spec.js';
import type { PreparedEpisode } from './episode.js';
import { DEFAULT_CAMERA, DEFAULT_TASK, ROBOT_TYPE, type DatasetSpec } from './features.js';
import { sizeOnDisk } from './store.js';
import { DatasetWriter } from './writer.js';

/**
 * V8 flags of a collector process. A built-in policy runs no tfjs, so the only
 * wasm is Rapier's, and TurboFan's tier-up of it kept four V8 threads busy for a
 * collector's first ~7 s (≈2.6 s CPU, as much as the main thread; perf profile in
 * docs/benchmarks.md) for no faster steady state: Liftoff code alone. A
 * checkpoint policy scores with tfjs-wasm (XNNPACK), 13× slower under Liftoff.
 */
export function collectorExecArgv(policy: string): string[] {
  return parsePolicySpec(policy).kind === 'checkpoint' ? process.execArgv : [...process.execArgv, '--liftoff-only'];
}

/** Episodes assigned to a worker at once: one running, one queued, so it never waits on the main thread. */
const PREFETCH = 2;
/** How long a collector may take to free its env after 'stop' before it is killed, ms. */
const STOP_GRACE_MS = 5000;

/** What a collector needs to build its env and policy. */
export interface CollectWorkerConfig {
  scene: SceneConfig;
  split: LibrarySplit;
  /** Directory of objects to use instead of the library split. */
  objectsDir: string | null;
  /** A `--policy` string (policy-spec.ts). */
  policy: string;
}

export type ToWorker = { type: 'init'; config: CollectWorkerConfig } | { type: 'episode'; index: number; seed: number } | { type: 'stop' };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'episode'; index: number; prepared: PreparedEpisode; envMs: number; envCpuMs: number; prepareMs: number; prepareCpuMs: number; waitMs: number; rss: number }
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
  /** Stops the collection early: episodes already written stay, and a resume collects the rest. */
  signal?: AbortSignal;
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
  /** True when the signal stopped it before the dataset held the episodes asked for. */
  interrupted: boolean;
  frames: number;
  successes: number;
  success_rate: number;
  workers: number;
  elapsed_s: number;
  episodes_per_s: number;
  frames_per_s: number;
  /** Seconds until the first episode was written (collector start-up: env, Xvfb, first episode). */
  startup_s: number;
  /** Rate after start-up: episodes written after the first, per second since it was written. */
  steady_episodes_per_s: number;
  /** Mean wall and CPU time per episode in a collector: env steps and rendering, then PNG encoding. */
  env_ms_per_episode: number;
  env_cpu_ms_per_episode: number;
  png_ms_per_episode: number;
  png_cpu_ms_per_episode: number;
  /** Mean wall and CPU time per episode in the writing process: parquet layout, file and metadata writes. */
  writer_ms_per_episode: number;
  writer_cpu_ms_per_episode: number;
  /** Mean time a collector sat waiting for its next episode; near 0 when the writer keeps up. */
  collector_wait_ms_per_episode: number;
  size_bytes: number;
  bytes_per_1000_frames: number;
  /** Resident memory of the writing process at start, end, and its maximum. */
  rss_start_mb: number;
  rss_end_mb: number;
  rss_max_mb: number;
  /** Largest resident memory of any collector process, and of each at its last episode. */
  collector_rss_max_mb: number;
  collector_rss_end_mb: number[];
  /** Memory over the run, about 20 samples: [episodes in the dataset, writer RSS MiB, largest collector RSS MiB]. */
  rss_samples: [number, number, number][];
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
    libraryVersion: LIBRARY_VERSION,
    stateNames: STATE_NAMES,
  };
}

/** The settings recorded in meta/pincer.json; a resume must match them all. */
function sourceOf(opts: CollectOptions): Record<string, unknown> {
  return { command: 'collect', policy: opts.policy, seed: opts.seed, split: opts.split, objects: opts.objectsDir, scene: opts.scene, library: LIBRARY_VERSION };
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
  let tFirst: number | null = null;
  let tLast = 0;
  const time = { envMs: 0, envCpuMs: 0, pngMs: 0, pngCpuMs: 0, writerMs: 0, writerCpuMs: 0, waitMs: 0 };
  const workers: ChildProcess[] = [];
  const exits: Promise<unknown>[] = [];
  const collectorRss: number[] = [];
  const rssSamples: [number, number, number][] = [];
  const sampleEvery = Math.max(1, Math.ceil((opts.episodes - startEpisodes) / 20));
  let collectorRssMax = 0;
  let failed = false;
  let onAbort: (() => void) | null = null;
  try {
    const todo = Math.max(0, opts.episodes - startEpisodes);
    // A first report before the collectors' start-up (env, Xvfb), which takes seconds.
    opts.onProgress?.({ episodes: startEpisodes, target: opts.episodes, successes: writer.successes, frames: startFrames, elapsedS: 0, episodesPerS: 0 });
    if (todo > 0 && !opts.signal?.aborted) {
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
        // Episodes finished out of order and not yet written are dropped: a resume collects them again, from the same seeds.
        onAbort = () => {
          if (stopped) return;
          stopped = true;
          resolve();
        };
        opts.signal?.addEventListener('abort', onAbort, { once: true });
        const assign = (worker: ChildProcess) => {
          if (nextToAssign >= opts.episodes) return;
          const index = nextToAssign++;
          worker.send({ type: 'episode', index, seed: deriveSeed(opts.seed, index) } satisfies ToWorker);
        };
        const config: CollectWorkerConfig = { scene: opts.scene, split: opts.split, objectsDir: opts.objectsDir, policy: opts.policy };
        const count = Math.min(opts.workers, todo);
        for (let k = 0; k < count; k++) {
          // 'advanced' serialization carries typed arrays (the PNGs and columns) as they are.
          const worker = fork(fileURLToPath(new URL('./collect-worker.js', import.meta.url)), [], {
            serialization: 'advanced',
            stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
            execArgv: collectorExecArgv(opts.policy),
          });
          workers.push(worker);
          collectorRss.push(0);
          exits.push(new Promise((r) => worker.once('exit', r)));
          worker.on('error', (err) => fail(err));
          worker.on('exit', (code, signal) => {
            if (!stopped) fail(new DatasetError(`collector ${k} exited early (${signal ?? `code ${code}`})`));
          });
          worker.send({ type: 'init', config } satisfies ToWorker);
          worker.on('message', (msg: FromWorker) => {
            if (stopped) return;
            if (msg.type === 'error') return fail(new DatasetError(`collector ${k}: ${msg.message}`));
            if (msg.type === 'ready') {
              for (let p = 0; p < PREFETCH; p++) assign(worker);
              return;
            }
            time.envMs += msg.envMs;
            time.envCpuMs += msg.envCpuMs;
            time.pngMs += msg.prepareMs;
            time.pngCpuMs += msg.prepareCpuMs;
            time.waitMs += msg.waitMs;
            collectorRss[k] = msg.rss;
            collectorRssMax = Math.max(collectorRssMax, msg.rss);
            finished.set(msg.index, msg.prepared);
            try {
              for (let prepared = finished.get(writer.totalEpisodes); prepared; prepared = finished.get(writer.totalEpisodes)) {
                finished.delete(writer.totalEpisodes);
                const { ms, cpuMs } = writer.append(prepared);
                tLast = performance.now();
                tFirst ??= tLast;
                time.writerMs += ms;
                time.writerCpuMs += cpuMs;
                const rss = process.memoryUsage().rss;
                rssMax = Math.max(rssMax, rss);
                if ((writer.totalEpisodes - startEpisodes) % sampleEvery === 0) rssSamples.push([writer.totalEpisodes, mb(rss), mb(Math.max(...collectorRss))]);
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
    if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
    // A failed run stops its collectors at once; a finished one lets them free their env.
    for (const w of workers) {
      if (w.exitCode !== null || w.signalCode !== null) continue;
      if (failed || !w.connected) w.kill('SIGKILL');
      else {
        w.send({ type: 'stop' } satisfies ToWorker);
        setTimeout(() => w.kill('SIGKILL'), STOP_GRACE_MS).unref();
      }
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
    interrupted: writer.totalEpisodes < opts.episodes,
    frames: writer.totalFrames,
    successes: writer.successes,
    success_rate: writer.totalEpisodes > 0 ? writer.successes / writer.totalEpisodes : 0,
    workers: opts.workers,
    elapsed_s: Math.round(elapsedS * 100) / 100,
    episodes_per_s: written > 0 ? written / elapsedS : 0,
    frames_per_s: written > 0 ? (writer.totalFrames - startFrames) / elapsedS : 0,
    startup_s: tFirst === null ? 0 : Math.round(tFirst - t0) / 1000,
    steady_episodes_per_s: tFirst !== null && written > 1 ? ((written - 1) * 1000) / (tLast - tFirst) : 0,
    env_ms_per_episode: per(time.envMs),
    env_cpu_ms_per_episode: per(time.envCpuMs),
    png_ms_per_episode: per(time.pngMs),
    png_cpu_ms_per_episode: per(time.pngCpuMs),
    writer_ms_per_episode: per(time.writerMs),
    writer_cpu_ms_per_episode: per(time.writerCpuMs),
    collector_wait_ms_per_episode: per(time.waitMs),
    size_bytes: size,
    bytes_per_1000_frames: writer.totalFrames > 0 ? Math.round((size / writer.totalFrames) * 1000) : 0,
    rss_start_mb: mb(rssStart),
    rss_end_mb: mb(rssEnd),
    rss_max_mb: mb(Math.max(rssMax, rssEnd)),
    collector_rss_max_mb: mb(collectorRssMax),
    collector_rss_end_mb: collectorRss.map(mb),
    rss_samples: rssSamples,
  };
}
