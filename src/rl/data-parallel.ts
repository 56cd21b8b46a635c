/**
 * Data-parallel gradient steps of a QNetwork over several tfjs-wasm instances:
 * this thread's and one per worker thread (tfjs-backend-wasm runs one thread per
 * instance, so a second instance is the way to use the second core). Each
 * instance computes the gradient of its shard of the batch; the shards' gradients
 * are summed here and applied once, by this thread's optimizer, so the update is
 * the one-thread update up to float rounding (test/rl-data-parallel.test.ts).
 *
 * Per step: weights out (one Float32Array per worker), shard inputs out, one
 * gradient Float32Array back. Each shard runs learnerStep (src/rl/learner.ts)
 * with an optimizer that only captures the gradient; the batch's gradient is
 * the shards' weighted by their share of the batch (the mean over B rows).
 *
 * Shapes: B batch, H W C image, A action dims.
 */
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { QNetConfig, QNetwork } from '../tf/index.js';
import { NonFiniteLossError, learnerStep, type LearnerStepConfig, type LearnerStepResult, type PenalizedPrediction } from './learner.js';
import { clipByGlobalNorm } from './losses.js';

/** One batch, on the host. Shards are contiguous row ranges. */
export interface HostBatch {
  /** [B,H,W,C]: uint8 frames (scaled by 1/255 on upload) or float32 in [0, 1]. */
  readonly images: Uint8Array | Float32Array;
  /** Gripper state [B,S], or null when the network's stateDim is 0. */
  readonly state: Float32Array | null;
  /** [B,A] */
  readonly actions: Float32Array;
  /** Bellman targets y [B] (constants). */
  readonly targets: Float32Array;
  /** Importance weights [B], or null. */
  readonly weights: Float32Array | null;
  /** K actions per row [B·K·A] for the conservative penalty; absent or null = none. */
  readonly conservativeActions?: Float32Array | null;
}

/** learnerStep's config; the network's output is its logit. */
export interface DataParallelConfig extends Omit<LearnerStepConfig, 'output'> {
  /**
   * α of the conservative penalty (CQL(H), Kumar et al. 2020) on the logits, when the batch carries
   * conservativeActions: α · mean_b [log Σ_{a ∈ {a_b} ∪ sampled} exp logit(s_b, a) − logit(s_b, a_b)].
   * It pushes down what the net scores highest among actions the data does not hold, relative to the
   * data's action; 0 or absent = none.
   */
  readonly conservativeWeight?: number;
}

export interface DataParallelResult extends LearnerStepResult {
  /** Milliseconds of this step's phases, for `pincer bench train`. */
  readonly phases: StepPhases;
  /** numTensors of each worker's tfjs instance after its shard (flat over steps unless it leaks). */
  readonly workerTensors: number[];
}

export interface StepPhases {
  /** Weights to the workers. */
  readonly syncMs: number;
  /** This thread's shard: upload, forward, backward, read-back. */
  readonly shardMs: number;
  /** Waiting for the workers' shards after this thread's was done. */
  readonly waitMs: number;
  /** Summing shards, clipping, optimizer update. */
  readonly applyMs: number;
}

export interface StepOptions {
  /** Rows of the batch this thread takes, the first ones (default: an equal share); the workers split the rest. */
  readonly ownRows?: number;
  /**
   * Called after the workers have been sent their shards and before this thread's:
   * it may fill this thread's rows of `batch.targets` (QT-Opt's Bellman targets), so
   * that work overlaps the workers' gradients.
   */
  readonly beforeOwnShard?: () => void;
}

/** What a worker is told per step: one shard and the current weights. */
export interface ShardRequest extends Omit<HostBatch, 'weights'> {
  readonly weights: Float32Array;
  readonly importance: Float32Array | null;
  readonly config: DataParallelConfig;
}

export interface ShardReply {
  /** The shard's mean-loss gradient, flattened in variable order. */
  readonly grads: Float32Array;
  /** The shard's mean TD loss. */
  readonly loss: number;
  /** The shard's conservative penalty (0 without one). */
  readonly penalty: number;
  readonly tdErrors: Float32Array;
  /** tf.memory().numTensors of the instance after the shard (a worker's leak check). */
  readonly numTensors?: number;
  /** NonFiniteLossError or another failure, as a message. */
  readonly error?: string;
  readonly nonFinite?: boolean;
}

/**
 * An optimizer that applies nothing: it copies the gradients it is given into
 * one flat vector, so a shard runs the very learnerStep of one thread.
 */
class GradientCapture extends tf.Optimizer {
  flat = new Float32Array(0);

  constructor(private readonly variables: readonly tf.Variable[]) {
    super();
  }

  static get className(): string {
    return 'PincerGradientCapture';
  }

  override applyGradients(gradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
    const byName = Array.isArray(gradients) ? Object.fromEntries(gradients.map((g) => [g.name, g.tensor])) : gradients;
    const { starts, total } = offsets(this.variables);
    this.flat = new Float32Array(total);
    this.variables.forEach((v, i) => this.flat.set(byName[v.name]!.dataSync() as Float32Array, starts[i]));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}

/** Start of each variable in the flat vector, and the total length. */
function offsets(variables: readonly tf.Variable[]): { starts: number[]; total: number } {
  const starts: number[] = [];
  let total = 0;
  for (const v of variables) {
    starts.push(total);
    total += v.size;
  }
  return { starts, total };
}

/** Every variable's values, concatenated in `net.variables` order. */
export function flatWeights(variables: readonly tf.Variable[]): Float32Array {
  const { starts, total } = offsets(variables);
  const out = new Float32Array(total);
  variables.forEach((v, i) => out.set(v.dataSync() as Float32Array, starts[i]));
  return out;
}

/** Assign a flat vector (as from flatWeights) to the variables. */
export function assignFlatWeights(variables: readonly tf.Variable[], flat: Float32Array): void {
  const { starts } = offsets(variables);
  tf.tidy(() => variables.forEach((v, i) => v.assign(tf.tensor(flat.subarray(starts[i]!, starts[i]! + v.size), v.shape))));
}

/**
 * One shard's learnerStep on this thread's backend, with the update captured
 * instead of applied (and not clipped: clipping acts on the summed gradient).
 */
export function shardGradients(net: QNetwork, shard: Omit<ShardRequest, 'weights'>): ShardReply {
  const capture = new GradientCapture(net.variables);
  const result = hostLearnerStep(net, capture, { ...shard, weights: shard.importance }, { ...shard.config, maxGradNorm: null });
  return { grads: capture.flat, loss: result.loss, penalty: result.penalty, tdErrors: Float32Array.from(result.tdErrors) };
}

/**
 * learnerStep on a batch held on the host, on this thread: its arrays become tensors
 * for the step (uint8 frames scaled by 1/255) and are freed after. The network's
 * output is its logit.
 */
export function hostLearnerStep(net: QNetwork, optimizer: tf.Optimizer, batch: HostBatch, config: DataParallelConfig): LearnerStepResult {
  const n = batch.targets.length;
  const { imageHeight: h, imageWidth: w, imageChannels: c, stateDim, actionDim } = net.config;
  const x = tf.tidy(() =>
    batch.images instanceof Uint8Array ? tf.div(tf.cast(tf.tensor4d(batch.images, [n, h, w, c], 'int32'), 'float32'), 255) : tf.tensor4d(batch.images, [n, h, w, c]),
  ) as tf.Tensor4D;
  const s = stateDim > 0 && batch.state ? tf.tensor2d(batch.state, [n, stateDim]) : null;
  const a = tf.tensor2d(batch.actions, [n, actionDim]);
  const y = tf.tensor1d(batch.targets);
  const importance = batch.weights ? tf.tensor1d(batch.weights) : null;
  const alpha = config.conservativeWeight ?? 0;
  const sampled = alpha > 0 && batch.conservativeActions ? tf.tensor2d(batch.conservativeActions, [batch.conservativeActions.length / actionDim, actionDim]) : null; // [B·K, A]
  const predict = (): tf.Tensor1D | PenalizedPrediction => {
    if (!sampled) return net.logits(x, s, a);
    // The encoder runs once per image for the data's action and the K sampled ones.
    const embedding = net.encode(x, s);
    const values = net.head(embedding, a); // [B]
    const others = tf.reshape(net.head(embedding, sampled), [n, -1]); // [B, K]
    const all = tf.concat([others, tf.reshape(values, [n, 1])], 1); // [B, K+1]
    const penalty = tf.mul(tf.mean(tf.sub(tf.logSumExp(all, 1), values)), alpha) as tf.Scalar;
    return { values, penalty };
  };
  try {
    return learnerStep(net.variables, optimizer, predict, y, importance, { ...config, output: 'logit' });
  } finally {
    tf.dispose([x, a, y, ...(s ? [s] : []), ...(importance ? [importance] : []), ...(sampled ? [sampled] : [])]);
  }
}

/**
 * Row range [from, to) of shard `i` of `parts` over `n` rows: shard 0 (this
 * thread's) has `own` rows, the rest split the others (sizes differ by at most one).
 */
function shardRange(n: number, parts: number, i: number, own: number): [number, number] {
  if (i === 0) return [0, own];
  const rest = n - own;
  const workers = parts - 1;
  return [own + Math.floor((rest * (i - 1)) / workers), own + Math.floor((rest * i) / workers)];
}

function sliceRows<T extends Uint8Array | Float32Array>(a: T, n: number, from: number, to: number): T {
  const row = a.length / n;
  return a.slice(from * row, to * row) as T;
}

/**
 * Owns `threads − 1` worker threads, each with its own tfjs-wasm instance and a
 * copy of the network; `step` splits a batch over them and this thread.
 * `threads` 1 runs everything here (no workers).
 */
export class DataParallelLearner {
  private readonly workers: Worker[];
  private readonly pending: ((reply: ShardReply) => void)[][];
  /** Why worker i can no longer answer, once it has failed or exited. */
  private readonly dead: (string | null)[];

  private constructor(
    readonly net: QNetwork,
    readonly threads: number,
    workers: Worker[],
  ) {
    this.workers = workers;
    this.pending = workers.map(() => []);
    this.dead = workers.map(() => null);
    workers.forEach((worker, i) => {
      worker.on('message', (reply: ShardReply) => this.pending[i]!.shift()?.(reply));
      const fail = (message: string) => {
        this.dead[i] = message;
        for (const resolve of this.pending[i]!.splice(0)) resolve({ grads: new Float32Array(0), loss: NaN, penalty: NaN, tdErrors: new Float32Array(0), error: message });
      };
      worker.on('error', (err) => fail(err.message));
      worker.on('exit', (code) => fail(`worker exited with code ${code}`));
    });
  }

  /** Start the workers (each loads tfjs-wasm and builds `net.config`'s network). */
  static async start(net: QNetwork, threads: number): Promise<DataParallelLearner> {
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads must be a positive integer, got ${threads}`);
    const workers = Array.from(
      { length: threads - 1 },
      () =>
        new Worker(new URL('./data-parallel-worker.js', import.meta.url), {
          workerData: { config: net.config satisfies QNetConfig },
          env: { ...process.env, PINCER_QUIET: '1' },
        }),
    );
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            worker.once('message', () => resolve());
            worker.once('error', reject);
          }),
      ),
    );
    return new DataParallelLearner(net, threads, workers);
  }

  private ask(i: number, request: ShardRequest): Promise<ShardReply> {
    return new Promise((resolve) => {
      const dead = this.dead[i];
      if (dead) return resolve({ grads: new Float32Array(0), loss: NaN, penalty: NaN, tdErrors: new Float32Array(0), error: dead });
      this.pending[i]!.push(resolve);
      this.workers[i]!.postMessage(request);
    });
  }

  /**
   * learnerStep on the whole batch, its gradient computed as threads shards in
   * parallel: each shard's mean-loss gradient weighted by its share of the batch.
   * Options: how many rows this thread takes, and work to do once the workers
   * have their shards (StepOptions).
   * A non-finite loss or norm throws NonFiniteLossError and applies nothing.
   */
  async step(optimizer: tf.Optimizer, batch: HostBatch, config: DataParallelConfig, options: StepOptions = {}): Promise<DataParallelResult> {
    const n = batch.targets.length;
    const ownRows = this.workers.length === 0 ? n : (options.ownRows ?? Math.round(n / this.threads));
    // No shard is empty.
    if (!Number.isInteger(ownRows) || ownRows < 1 || n - ownRows < this.workers.length) {
      throw new RangeError(`ownRows must leave every one of ${this.threads} threads at least one of ${n} rows, got ${ownRows}`);
    }
    const variables = this.net.variables;
    const t0 = performance.now();
    const weights = this.workers.length > 0 ? flatWeights(variables) : null;
    const shard = (i: number): Omit<ShardRequest, 'weights'> => {
      const [from, to] = shardRange(n, this.threads, i, ownRows);
      return {
        images: sliceRows(batch.images, n, from, to),
        state: batch.state ? sliceRows(batch.state, n, from, to) : null,
        actions: sliceRows(batch.actions, n, from, to),
        targets: batch.targets.slice(from, to),
        importance: batch.weights ? batch.weights.slice(from, to) : null,
        conservativeActions: batch.conservativeActions ? sliceRows(batch.conservativeActions, n, from, to) : null,
        config,
      };
    };
    const replies = this.workers.map((_, i) => this.ask(i, { ...shard(i + 1), weights: weights! }));
    const t1 = performance.now();
    let own: ShardReply;
    try {
      options.beforeOwnShard?.();
      own = shardGradients(this.net, shard(0));
    } catch (err) {
      await Promise.all(replies); // keep the workers' queues in step
      throw err;
    }
    const t2 = performance.now();
    const others = await Promise.all(replies);
    const t3 = performance.now();
    const failed = others.find((r) => r.error);
    if (failed?.nonFinite) throw new NonFiniteLossError(failed.loss, NaN);
    if (failed) throw new Error(`data-parallel worker failed: ${failed.error}`);
    const shares = [own, ...others].map((r) => r.tdErrors.length / n);
    const sum = own.grads.map((g) => g * shares[0]!);
    let loss = own.loss * shares[0]!;
    let penalty = own.penalty * shares[0]!;
    others.forEach((r, j) => {
      const share = shares[j + 1]!;
      for (let k = 0; k < sum.length; k++) sum[k] += r.grads[k]! * share;
      loss += r.loss * share;
      penalty += r.penalty * share;
    });
    const tdErrors = new Float32Array(n);
    [own, ...others].reduce((at, r) => (tdErrors.set(r.tdErrors, at), at + r.tdErrors.length), 0);
    const gradNorm = tf.tidy(() => {
      let start = 0;
      const named: tf.NamedTensorMap = {};
      for (const v of variables) {
        named[v.name] = tf.tensor(sum.subarray(start, start + v.size), v.shape);
        start += v.size;
      }
      const clipped = clipByGlobalNorm(named, config.maxGradNorm);
      const norm = clipped.norm.dataSync()[0]!;
      if (!Number.isFinite(loss + penalty) || !Number.isFinite(norm)) throw new NonFiniteLossError(loss + penalty, norm);
      optimizer.applyGradients(clipped.grads);
      return norm;
    });
    const t4 = performance.now();
    return {
      loss,
      penalty,
      tdErrors,
      gradNorm,
      phases: { syncMs: t1 - t0, shardMs: t2 - t1, waitMs: t3 - t2, applyMs: t4 - t3 },
      workerTensors: others.map((r) => r.numTensors ?? -1),
    };
  }

  /** Stop the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
