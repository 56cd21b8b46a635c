/**
 * `pincer bench replay`: replay memory per transition (from the layout, and as
 * allocated), the 1M-transition projection, and add / sample / priority-update /
 * save / load speed on image observations.
 *
 * Observation as the grasping env gives it: an S×S×3 uint8 image plus a float32
 * vector of 3 (aperture, closed, height); continuous actions of ACTION_DIM.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACTION_DIM } from '../../env/types.js';
import { Rng } from '../../random/index.js';
import {
  ConfigError,
  loadReplay,
  ReplayBuffer,
  replayBytes,
  replayBytesPerSlot,
  resolveReplayConfig,
  saveReplay,
  type ReplayConfig,
} from '../../rl/node.js';
import { UsageError } from '../errors.js';
import { emit, log, type OutputOptions } from '../io.js';
import { median } from '../../report/index.js';
import { round, trackLoad } from '../bench-measure.js';

export interface BenchReplayOptions extends OutputOptions {
  capacity: number;
  image: number;
  episodeSteps: number;
  batch: number;
  iters: number;
  seed: number;
  save: boolean;
}

/** Observation vector: aperture, closed, height. */
const VECTOR_DIM = 3;
const MILLION = 1_000_000;

/** The flags' replay config; a value the replay refuses is a usage error (exit 2). */
function replayConfig(opts: BenchReplayOptions, capacity: number, prioritized: boolean): ReplayConfig {
  try {
    return buildConfig(opts, capacity, prioritized);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

function buildConfig(opts: BenchReplayOptions, capacity: number, prioritized: boolean): ReplayConfig {
  return resolveReplayConfig({
    capacity,
    imageShape: [opts.image, opts.image, 3],
    vectorDim: VECTOR_DIM,
    action: { kind: 'continuous', dim: ACTION_DIM },
    gamma: 0.9,
    nStep: 1,
    prioritized,
    priorityAlpha: 0.6,
    priorityEpsilon: 1e-6,
  });
}



/** Fill the buffer with episodes of `steps` steps, cycling through a pool of random frames. */
function fill(buf: ReplayBuffer, opts: BenchReplayOptions, rng: Rng): number {
  const bytes = opts.image * opts.image * 3;
  const pool = Array.from({ length: 32 }, () => Uint8Array.from({ length: bytes }, () => rng.int(0, 255)));
  const action = new Float32Array(ACTION_DIM);
  const obs = (k: number) => ({ image: pool[k % pool.length], vector: [rng.uniform(), k % 2, rng.uniform()] });
  let k = 0;
  const t0 = performance.now();
  while (buf.size < buf.config.capacity) {
    for (let t = 0; t < opts.episodeSteps; t++) {
      for (let a = 0; a < ACTION_DIM; a++) action[a] = rng.range(-1, 1);
      const last = t === opts.episodeSteps - 1;
      buf.add(obs(k++), action, last ? rng.int(0, 1) : 0, last, false, last ? obs(k++) : undefined);
    }
  }
  return (k / (performance.now() - t0)) * 1000;
}

function timeSampling(buf: ReplayBuffer, opts: BenchReplayOptions, rng: Rng): { sample_ms: number; update_ms: number } {
  const batch = buf.createBatch(opts.batch);
  const sample: number[] = [];
  const update: number[] = [];
  const errors = new Float32Array(opts.batch);
  for (let i = 0; i < opts.iters; i++) {
    let t = performance.now();
    buf.sample(rng, batch, 0.5);
    sample.push(performance.now() - t);
    for (let b = 0; b < opts.batch; b++) errors[b] = rng.uniform();
    t = performance.now();
    buf.updatePriorities(batch.indices, errors);
    update.push(performance.now() - t);
  }
  return { sample_ms: round(median(sample), 4), update_ms: round(median(update), 4) };
}


export async function benchReplay(opts: BenchReplayOptions): Promise<void> {
  const load = trackLoad();
  const uniformCfg = replayConfig(opts, opts.capacity, false);
  const perSlot = replayBytesPerSlot(uniformCfg);
  // Each episode of L steps stores L + 1 frames: one per step plus its final frame.
  const slotsPerTransition = (opts.episodeSteps + 1) / opts.episodeSteps;
  const millionSlots = Math.ceil(MILLION * slotsPerTransition);
  const million = replayBytes(replayConfig(opts, millionSlots, false));
  const millionPer = replayBytes(replayConfig(opts, millionSlots, true));

  const rng = new Rng(opts.seed);
  const results: Record<string, unknown>[] = [];
  // Both buffers stay referenced until the end: if the first were collected while the
  // second is allocated, the arrayBuffers growth would net out the freed bytes.
  const live: ReplayBuffer[] = [];
  for (const prioritized of [false, true]) {
    const cfg = replayConfig(opts, opts.capacity, prioritized);
    const before = process.memoryUsage().arrayBuffers;
    const buf = new ReplayBuffer(cfg);
    const allocated = process.memoryUsage().arrayBuffers - before;
    live.push(buf);
    log(opts, `bench replay: filling ${opts.capacity} slots (prioritized ${prioritized})`);
    const addsPerS = fill(buf, opts, rng);
    const timing = timeSampling(buf, opts, rng);
    const row: Record<string, unknown> = {
      prioritized,
      capacity: opts.capacity,
      transitions: buf.validCount,
      formula_bytes: replayBytes(cfg),
      allocated_bytes: buf.bytesAllocated(),
      process_array_buffer_bytes: allocated,
      adds_per_s: Math.round(addsPerS),
      ...timing,
    };
    if (opts.save && !prioritized) {
      const dir = mkdtempSync(join(tmpdir(), 'pincer-bench-replay-'));
      try {
        const path = join(dir, 'replay.bin');
        let t = performance.now();
        saveReplay(buf, path);
        const saveS = (performance.now() - t) / 1000;
        t = performance.now();
        loadReplay(path);
        const loadS = (performance.now() - t) / 1000;
        const mb = buf.bytesAllocated() / 1e6;
        Object.assign(row, { save_mb_per_s: round(mb / saveS, 1), load_mb_per_s: round(mb / loadS, 1) });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    results.push(row);
  }
  log(opts, `bench replay: measured ${live.length} buffers`);
  emit(
    opts,
    {
      bench: 'replay',
      image: [opts.image, opts.image, 3],
      vector_dim: VECTOR_DIM,
      action_dim: ACTION_DIM,
      bytes_per_slot: perSlot,
      episode_steps: opts.episodeSteps,
      bytes_per_transition: round(perSlot * slotsPerTransition, 1),
      million_transitions_gb: round(million / 1e9),
      million_transitions_prioritized_gb: round(millionPer / 1e9),
      fits_14gb: millionPer < 14e9,
      results,
      ...load.end(),
    },
    (r) =>
      [
        `${opts.image}x${opts.image}x3: ${r.bytes_per_slot} B/slot, ${r.bytes_per_transition} B/transition at ${opts.episodeSteps}-step episodes`,
        `1M transitions: ${r.million_transitions_gb} GB (prioritized ${r.million_transitions_prioritized_gb} GB), fits 14 GB: ${r.fits_14gb}`,
        ...results.map(
          (x) =>
            `${x.prioritized ? 'prioritized' : 'uniform'}: allocated ${x.allocated_bytes} B (formula ${x.formula_bytes}), ${x.adds_per_s} adds/s, sample ${x.sample_ms} ms/batch, update ${x.update_ms} ms` +
            (x.save_mb_per_s ? `, save ${x.save_mb_per_s} MB/s, load ${x.load_mb_per_s} MB/s` : ''),
        ),
      ].join('\n'),
  );
}
