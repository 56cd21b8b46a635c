/**
 * Data-parallel gradient steps of a QNetwork over several tfjs-wasm instances:
 * this thread's and one per worker thread (tfjs-backend-wasm runs one thread per
 * instance, so a second instance is the way to use the second core). Each
 * instance computes the gradient of its shard of the batch; the shards' gradients
 * are summed here and applied once, by this thread's optimizer, so the update is
 * the one-thread update up to float rounding (test/rl-data-parallel.test.ts).
 *
 * Per step: weights out (one Float32Array per worker), shard inputs out, one
 * gradient Float32Array back. Shard losses are scaled by shard/B, so their sum is
 * the mean over the whole batch and the gradients simply add.
 *
 * Shapes: B batch, H W C image, A action dims.
 */
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { QNetConfig, QNetwork } from '../tf/index.js';
import { clipByGlobalNorm, tdLoss, type LossKind } from './losses.js';

/** One batch, on the host. Shards are contiguous row ranges. */
export interface HostBatch {
  /** [B,H,W,C]: uint8 frames (scaled by 1/255 on upload) or float32 in [0, 1]. */
  readonly images: Uint8Array | Float32Array;
  /** [B,A] */
  readonly actions: Float32Array;
  /** Bellman targets y [B] (constants). */
  readonly targets: Float32Array;
  /** Importance weights [B], or null. */
  readonly weights: Float32Array | null;
}

export interface ShardLossConfig {
  /** 'log' is on logits; 'huber' and 'mse' on Q = sigmoid(logit). */
  readonly loss: LossKind;
  readonly huberDelta: number;
}

export interface DataParallelConfig extends ShardLossConfig {
  readonly maxGradNorm: number | null;
}

export interface DataParallelResult {
  /** Mean (importance-weighted) loss over the batch. */
  readonly loss: number;
  /** y − Q per example [B]. */
  readonly tdErrors: Float32Array;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
  /** Milliseconds of this step's phases, for `pincer bench train`. */
  readonly phases: StepPhases;
  /** numTensors of each worker's tfjs instance after its shard (flat over steps unless it leaks). */
  readonly workerTensors: number[];
}

export interface StepPhases {
  /** Weights to the workers. */
  readonly syncMs: number;
  /** This thread's shard: forward, backward, read-back. */
  readonly shardMs: number;
  /** Waiting for the workers' shards after this thread's was done. */
  readonly waitMs: number;
  /** Summing shards, clipping, optimizer update. */
  readonly applyMs: number;
}

/** What a worker is told per step. */
export interface ShardRequest {
  readonly weights: Float32Array;
  readonly images: Uint8Array | Float32Array;
  readonly actions: Float32Array;
  readonly targets: Float32Array;
  readonly weightsIS: Float32Array | null;
  /** Shard size over the batch size: the shard's loss scale. */
  readonly scale: number;
  readonly config: ShardLossConfig;
}

export interface ShardReply {
  readonly grads: Float32Array;
  readonly loss: number;
  readonly tdErrors: Float32Array;
  /** tf.memory().numTensors of the instance after the shard (a worker's leak check). */
  readonly numTensors?: number;
  readonly error?: string;
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
 * Gradient of (shard/B) · mean loss over one shard, for every variable of `net`,
 * flattened in variable order; also the scaled loss and y − Q. Runs on this thread's backend.
 */
export function shardGradients(net: QNetwork, request: Omit<ShardRequest, 'weights'>): ShardReply {
  const { images, actions, targets, weightsIS, scale, config } = request;
  const n = targets.length;
  const { imageHeight: h, imageWidth: w, imageChannels: c, actionDim } = net.config;
  const variables = net.variables;
  return tf.tidy(() => {
    const x = images instanceof Uint8Array ? tf.div(tf.cast(tf.tensor4d(images, [n, h, w, c], 'int32'), 'float32'), 255) : tf.tensor4d(images, [n, h, w, c]);
    const a = tf.tensor2d(actions, [n, actionDim]);
    const y = tf.tensor1d(targets);
    const isw = weightsIS ? tf.tensor1d(weightsIS) : undefined;
    const kept: { q?: tf.Tensor1D } = {};
    const { value, grads } = tf.variableGrads(() => {
      const logits = net.logits(x as tf.Tensor4D, a);
      const q = tf.sigmoid(logits);
      kept.q = tf.keep(q);
      const pred = config.loss === 'log' ? logits : q;
      return tf.mul(tdLoss(config.loss, pred, y, isw, config.huberDelta), scale) as tf.Scalar;
    }, variables);
    const { starts, total } = offsets(variables);
    const flat = new Float32Array(total);
    variables.forEach((v, i) => flat.set(grads[v.name]!.dataSync() as Float32Array, starts[i]));
    const td = tf.sub(y, kept.q!).dataSync() as Float32Array;
    kept.q!.dispose();
    return { grads: flat, loss: value.dataSync()[0]!, tdErrors: Float32Array.from(td) };
  });
}

/** Row range [from, to) of shard `i` of `parts` over `n` rows (sizes differ by at most one). */
function shardRange(n: number, parts: number, i: number): [number, number] {
  return [Math.floor((n * i) / parts), Math.floor((n * (i + 1)) / parts)];
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

  private constructor(
    readonly net: QNetwork,
    readonly threads: number,
    workers: Worker[],
  ) {
    this.workers = workers;
    this.pending = workers.map(() => []);
    workers.forEach((worker, i) => {
      worker.on('message', (reply: ShardReply) => this.pending[i]!.shift()?.(reply));
      worker.on('error', (err) => {
        for (const resolve of this.pending[i]!.splice(0)) resolve({ grads: new Float32Array(0), loss: NaN, tdErrors: new Float32Array(0), error: err.message });
      });
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
      this.pending[i]!.push(resolve);
      this.workers[i]!.postMessage(request);
    });
  }

  /** One optimizer update on the batch's mean loss; the gradients of B/threads rows each. */
  async step(optimizer: tf.Optimizer, batch: HostBatch, config: DataParallelConfig): Promise<DataParallelResult> {
    const n = batch.targets.length;
    const variables = this.net.variables;
    const t0 = performance.now();
    const weights = this.workers.length > 0 ? flatWeights(variables) : null;
    const shard = (i: number): Omit<ShardRequest, 'weights'> => {
      const [from, to] = shardRange(n, this.threads, i);
      return {
        images: sliceRows(batch.images, n, from, to),
        actions: sliceRows(batch.actions, n, from, to),
        targets: batch.targets.slice(from, to),
        weightsIS: batch.weights ? batch.weights.slice(from, to) : null,
        scale: (to - from) / n,
        config,
      };
    };
    const replies = this.workers.map((_, i) => this.ask(i, { ...shard(i + 1), weights: weights! }));
    const t1 = performance.now();
    const own = shardGradients(this.net, shard(0));
    const t2 = performance.now();
    const others = await Promise.all(replies);
    const t3 = performance.now();
    const failed = others.find((r) => r.error);
    if (failed) throw new Error(`data-parallel worker failed: ${failed.error}`);
    const sum = own.grads;
    let loss = own.loss;
    for (const r of others) {
      for (let k = 0; k < sum.length; k++) sum[k] += r.grads[k]!;
      loss += r.loss;
    }
    if (!Number.isFinite(loss)) throw new Error(`non-finite loss ${loss}: no update applied`);
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
      optimizer.applyGradients(clipped.grads);
      return clipped.norm.dataSync()[0]!;
    });
    const t4 = performance.now();
    return {
      loss,
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
