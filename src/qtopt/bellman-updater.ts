/**
 * QT-Opt's Bellman updater (Kalashnikov et al. 2018 §4.2, "Bellman updater jobs"),
 * on this machine's second core: a worker thread holding a copy of the target chain
 * (θ̄, θ̄₁, θ̄₂) that computes the targets of the next batches (up to the learner's
 * UPDATER_DEPTH), in step order, while this thread takes gradient steps. The worker
 * holds a core while it computes (src/tf/native withClaimedCore), so this thread's
 * kernels use their helper only while the worker is idle.
 *
 * A batch's rows come in chunks of CHUNK_ROWS, each with its own CEM draws. The
 * worker and this thread claim a batch's chunks from one shared counter: the worker
 * while gradients run here, this thread when the step that needs the batch begins, so
 * neither core waits long for the other. Whoever computes a chunk, it gets the same
 * bits: the same kernels on the same weights with the same draws, and the learner only
 * asks for a batch's targets ahead when no target net changes in between. Messages reach the
 * worker in order, so a weight sync sent before a request is applied before it.
 *
 * Shapes: B batch, H W C image, S state dims.
 */
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { actionSpace } from '../env/index.js';
import { Rng } from '../random/index.js';
import { flatWeights } from '../rl/node.js';
import type { QNetwork } from '../tf/node.js';
import { bellmanTargets, type BellmanNets, type BellmanSettings, type QScorer } from './bellman.js';
import type { QtOptConfig } from './config.js';
import { ignoredActionDims, imagesTensor, statesTensor } from './inputs.js';

/** What a batch's targets read of it, on the host (the replay batch's arrays, frames augmented). */
export interface TargetRows {
  /** [B] n-step reward sums. */
  readonly rewards: Float32Array;
  /** [B] bootstrap discounts, 0 after termination. */
  readonly discounts: Float32Array;
  /** [B·H·W·C] next frames, after any random shift. */
  readonly nextFrames: Uint8Array;
  /** [B·S] stored next states. */
  readonly nextVectors: Float32Array;
  /** [B·A] the data's actions at the next states (read under bellman.dataAction). */
  readonly nextActions: Float32Array;
}

/** Rows [from, to) of a batch, whose CEM draws come from Rng(seed). */
export interface TargetChunk {
  readonly from: number;
  readonly to: number;
  readonly seed: number;
}

/** Rows per chunk of a batch's targets: the unit the two threads share out (4 chunks at batch 32). */
export const CHUNK_ROWS = 8;

/** The settings the targets are computed under, from the config. */
export function bellmanSettingsOf(config: QtOptConfig): BellmanSettings {
  const b = config.bellman;
  return { argmax: b.argmax, randomActions: b.randomActions, cem: config.cem, ignoredActions: ignoredActionDims(config.network.ignoredActions), dataAction: b.dataAction };
}

/**
 * Who picks a* and who values it: the picker (θ̄, or the online net without targets) values alone; under
 * clipped double Q the two delayed nets value, and a* is the picker's or, with argmaxNet 'delayed', θ̄₁'s.
 */
export function bellmanNetsOf(picker: QScorer, delayed: readonly QScorer[], argmaxNet: QtOptConfig['bellman']['argmaxNet']): BellmanNets {
  if (delayed.length !== 2) return { argmax: picker, values: [picker] };
  return { argmax: argmaxNet === 'delayed' ? delayed[0]! : picker, values: delayed };
}

/**
 * y of one chunk's rows [R]. Log loss needs a probability, and a scene step penalty
 * can push R below 0, so y is clipped to [0, 1] under it.
 */
export function chunkTargets(config: QtOptConfig, rows: TargetRows, { from, to, seed }: TargetChunk, nets: BellmanNets, settings: BellmanSettings): Float32Array {
  const { imageHeight: h, imageWidth: w, imageChannels: c, stateDim: s } = config.network;
  const n = to - from;
  const nextImages = imagesTensor(rows.nextFrames.subarray(from * h * w * c, to * h * w * c), n, h, w, c); // [R, H, W, C]
  const nextState = statesTensor(rows.nextVectors.subarray(from * s, to * s), n, s); // [R, S]
  try {
    const a = config.network.actionDim;
    const dataNextActions = rows.nextActions.subarray(from * a, to * a);
    const inputs = { rewards: rows.rewards.subarray(from, to), discounts: rows.discounts.subarray(from, to), nextImages, nextState, dataNextActions };
    const { targets } = bellmanTargets(inputs, nets, settings, new Rng(seed), actionSpace);
    if (config.optimizer.loss === 'log') for (let i = 0; i < n; i++) targets[i] = Math.min(1, Math.max(0, targets[i]!));
    return targets;
  } finally {
    tf.dispose([nextImages, nextState]);
  }
}

/** A batch's targets under way: chunks are claimed through `claims[0]`, by the worker and by `finish`. */
export class TargetsAhead {
  constructor(
    private readonly rows: TargetRows,
    private readonly chunks: readonly TargetChunk[],
    private readonly claims: Int32Array,
    private readonly fromWorker: Promise<ChunkResult[]>,
  ) {}

  /** This thread computes the chunks the worker has not claimed, then takes the worker's: y [B]. */
  async finish(config: QtOptConfig, nets: BellmanNets, settings: BellmanSettings): Promise<Float32Array> {
    const targets = new Float32Array(this.chunks.at(-1)?.to ?? 0); // [B]
    for (let i = Atomics.add(this.claims, 0, 1); i < this.chunks.length; i = Atomics.add(this.claims, 0, 1)) {
      targets.set(chunkTargets(config, this.rows, this.chunks[i]!, nets, settings), this.chunks[i]!.from);
    }
    for (const { index, targets: part } of await this.fromWorker) targets.set(part, this.chunks[index]!.from);
    return targets;
  }
}

/** One chunk's targets from the worker. */
export interface ChunkResult {
  readonly index: number;
  readonly targets: Float32Array;
}

/** Messages to the worker. */
export type UpdaterRequest =
  | { readonly kind: 'sync'; readonly chain: Float32Array[] }
  | { readonly kind: 'targets'; readonly id: number; readonly rows: TargetRows; readonly chunks: readonly TargetChunk[]; readonly claims: Int32Array };

/** The worker's answers: ready (with whether its kernels are native), or one request's targets. */
export type UpdaterReply =
  | { readonly kind: 'ready'; readonly native: boolean }
  | { readonly kind: 'targets'; readonly id: number; readonly computed: ChunkResult[]; readonly numTensors: number }
  | { readonly kind: 'error'; readonly id: number; readonly message: string };

/** The worker thread and its copy of the target chain (θ̄ first, then the delayed nets). */
export class BellmanUpdater {
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (t: ChunkResult[]) => void; reject: (e: Error) => void }>();
  private dead: string | null = null;
  /** numTensors of the worker's tfjs instance after its last request (flat unless it leaks). */
  workerTensors = -1;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: UpdaterReply) => {
      if (reply.kind === 'ready') return;
      const waiting = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (reply.kind === 'error') waiting?.reject(new Error(`Bellman updater: ${reply.message}`));
      else {
        this.workerTensors = reply.numTensors;
        waiting?.resolve(reply.computed);
      }
    });
    const fail = (message: string) => {
      this.dead = message;
      for (const { reject } of this.waiting.values()) reject(new Error(`Bellman updater: ${message}`));
      this.waiting.clear();
    };
    worker.on('error', (err) => fail(err.message));
    worker.on('exit', (code) => fail(`worker exited with code ${code}`));
  }

  /**
   * Start the worker for `config`'s target chain; null when its kernels would not be
   * this thread's (`native` says whether this thread runs the native ones), since its
   * targets would then differ in rounding from the inline ones.
   */
  static async start(config: QtOptConfig, native: boolean): Promise<BellmanUpdater | null> {
    const worker = new Worker(new URL('./bellman-worker.js', import.meta.url), { workerData: { config }, env: { ...process.env, PINCER_QUIET: '1' } });
    const ready = await new Promise<UpdaterReply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if (ready.kind !== 'ready' || ready.native !== native) {
      await worker.terminate();
      return null;
    }
    return new BellmanUpdater(worker);
  }

  /** The worker's chain ← these nets' weights (θ̄, then the delayed nets). */
  sync(chain: readonly QNetwork[]): void {
    const weights = chain.map((net) => flatWeights(net.variables));
    this.worker.postMessage({ kind: 'sync', chain: weights } satisfies UpdaterRequest, weights.map((w) => w.buffer as ArrayBuffer));
  }

  /**
   * Start the targets of `rows` in the worker, on its chain as of the last sync: it
   * computes chunks until none is left unclaimed; TargetsAhead.finish does the rest here.
   */
  targets(rows: TargetRows, chunks: readonly TargetChunk[]): TargetsAhead {
    const claims = new Int32Array(new SharedArrayBuffer(4));
    if (this.dead) {
      const failed = Promise.reject(new Error(`Bellman updater: ${this.dead}`));
      failed.catch(() => undefined);
      return new TargetsAhead(rows, chunks, claims, failed);
    }
    const id = this.nextId++;
    const promise = new Promise<ChunkResult[]>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    promise.catch(() => undefined); // a request the learner drops may fail unobserved; awaiting it still throws
    this.worker.postMessage({ kind: 'targets', id, rows, chunks, claims } satisfies UpdaterRequest);
    return new TargetsAhead(rows, chunks, claims, promise);
  }

  /** Stop the worker; requests still out are rejected. */
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
