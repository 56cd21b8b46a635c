/**
 * The QT-Opt learner: owns the online Q-network, its lagged target nets and the
 * optimizer, and turns a replay batch into one gradient step.
 *
 * Per step (tf_agents' qtopt_agent `_train`, QT-Opt §4.2):
 *   y      = bellmanTargets(batch)                      (bellman.ts; a* by CEM under the target net; in two row chunks)
 *   loss   = mean_b w_b · ℓ(Q(s_b, a_b), y_b)           (log loss on the sigmoid Q, or Huber on Q)
 *            [+ α · mean_b (log Σ_a exp logit(s_b, a) − logit(s_b, a_b))]   (optional conservative penalty,
 *                                                      over a_b and K uniform actions; src/rl data-parallel)
 *   θ     ← Adam(θ, clip(∇θ loss))                      (src/rl's learnerStep)
 *   then, oldest first, on their own periods:
 *   θ̄₂ ← θ̄₁,  θ̄₁ ← θ̄,  θ̄ ← τθ + (1 − τ)θ̄
 *   θₐ ← d·θₐ + (1 − d)·θ                               (optional: the averaged net acts, optimizer.averageDecay)
 *
 * The target chain (tf_agents): θ̄ is the target net, hard-copied from the online
 * net (τ = 1) every targetUpdatePeriod steps; it picks a*. θ̄₁ and θ̄₂ are the
 * delayed nets that evaluate it, with clipped double Q taking their minimum.
 * Without clipped double Q only θ̄ exists (it picks and evaluates); without target
 * networks the online net does both.
 *
 * With two threads and the native kernels, the targets of the next UPDATER_DEPTH
 * batches (when the caller passes them) are computed by a Bellman updater in a worker
 * thread while this thread takes gradient steps (bellman-updater.ts), with the same bits;
 * the gradient's kernels use the second core whenever the updater is not computing.
 *
 * Shapes: B batch, H W C image, S state dims, A action dims.
 */
import * as tf from '@tensorflow/tfjs';
import { ACTION, actionSpace, MOVE_DIMS } from '../env/index.js';
import { Rng, deriveSeed } from '../random/index.js';
import {
  DataParallelLearner,
  hardUpdate,
  hostLearnerStep,
  makeSchedule,
  polyakUpdate,
  setLearningRate,
  type DataParallelConfig,
  type HostBatch,
  type LearnerStepResult,
  type ReplayBatch,
  type Schedule,
} from '../rl/node.js';
import { JsAdam, QNetwork, nativeKernelsInUse, setNativeThreads, type QNetConfig } from '../tf/node.js';
import type { BellmanNets, BellmanSettings } from './bellman.js';
import { BellmanUpdater, CHUNK_ROWS, bellmanNetsOf, bellmanSettingsOf, chunkTargets, type TargetChunk, type TargetRows, type TargetsAhead } from './bellman-updater.js';
import { uniformActions } from './cem.js';
import type { QtOptConfig } from './config.js';
import { networkActions, scaledStates, shiftImages } from './inputs.js';

/** What one gradient step did, for metrics.jsonl (`losses/td_loss`, `losses/q_values`, …). */
export interface LearnStats {
  /** The weighted TD loss. */
  loss: number;
  /** The conservative penalty, α included (0 without one). */
  penalty: number;
  /** Mean |y − Q| over the batch. */
  tdErrorMean: number;
  /** Mean Q(s, a) of the online net on the batch, before the step. */
  qMean: number;
  /** Mean Bellman target y. */
  targetMean: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Learning rate used for this step. */
  lr: number;
  /** [B] y − Q per transition: pass to replay.updatePriorities(batch.indices, tdErrors) with prioritized replay. */
  tdErrors: Float32Array;
  /**
   * Milliseconds this step spent on targets the Bellman updater had started: the chunks
   * it had not reached, computed here, and waiting for its own (0 without it).
   */
  updaterWaitMs: number;
}

/**
 * On tfjs-wasm instances (no native kernels), this thread's share of the gradient's
 * rows. This thread also computes every target, so it takes fewer rows: with targets T and a
 * whole gradient G, the step takes T + G·f here against (T + G)(1 − f) in the
 * worker, even at f = G / (T + 2G), ~0.4 at the pooled network's T ≈ 90 ms and
 * G ≈ 230 ms (docs/benchmarks.md, "The learner on two threads").
 */
const OWN_SHARE = 0.4;

/**
 * Batches whose targets the Bellman updater may have under way beyond the current step's.
 * At 1 the worker gets a batch only as a step begins, so it idles from finishing one until
 * the next step starts, while this thread computes that batch's last chunks or waits for
 * them; at 2 it has a batch queued whenever it finishes one (docs/benchmarks.md, "The
 * Bellman updater two steps ahead").
 */
export const UPDATER_DEPTH = 2;

/** A batch's frames as the step sees them (randomly shifted, when configured), and its targets if already under way. */
interface PreparedBatch {
  readonly batch: ReplayBatch;
  readonly step: number;
  readonly frames: Uint8Array;
  readonly nextFrames: Uint8Array;
  readonly targets: TargetsAhead | null;
}

/** Stream indices of the learner's CEM and augmentation Rngs under its seed (network init uses the seed itself). */
const CEM_STREAM = 1;
const SHIFT_STREAM = 2;
const CONSERVATIVE_STREAM = 3;
const JITTER_STREAM = 4;
/** The continuous parts of an action, those replay.actionJitter perturbs. */
const MOVE_AND_YAW = [ACTION.dx, ACTION.dy, ACTION.dz, ACTION.dyaw] as const;

/** What a batch's targets read of it, with its next frames as the step sees them (augmented). */
function targetRows(batch: ReplayBatch, nextFrames: Uint8Array): TargetRows {
  return { rewards: batch.rewards, discounts: batch.discounts, nextFrames, nextVectors: batch.nextVectors, nextActions: batch.nextActions as Float32Array };
}

/**
 * Replay batches drawn in step order and kept until their step, so that a learner step
 * can be given up to UPDATER_DEPTH upcoming batches. Each draw fills the buffer of the
 * batch taken UPDATER_DEPTH + 1 draws earlier, whose step is over. Drawing early gives
 * the batches drawing each at its step would only while the replay and its sampling do
 * not change in between: offline, with uniform sampling.
 */
export class DrawnBatches {
  private readonly buffers: ReplayBatch[];
  /** Drawn for the next steps, in step order. */
  private readonly drawn: ReplayBatch[] = [];
  private draws = 0;

  constructor(createBatch: () => ReplayBatch) {
    this.buffers = Array.from({ length: UPDATER_DEPTH + 1 }, createBatch);
  }

  /**
   * The next step's batch, with `ahead` (at most UPDATER_DEPTH) batches after it drawn
   * too; `draw(batch, offset)` fills a buffer with the draw for `offset` steps after the next.
   */
  next(ahead: number, draw: (batch: ReplayBatch, offset: number) => void): { batch: ReplayBatch; upcoming: ReplayBatch[] } {
    while (this.drawn.length <= Math.min(ahead, UPDATER_DEPTH)) {
      const batch = this.buffers[this.draws++ % this.buffers.length]!;
      draw(batch, this.drawn.length);
      this.drawn.push(batch);
    }
    const batch = this.drawn.shift()!;
    return { batch, upcoming: [...this.drawn] };
  }
}

export class QtOptLearner {
  readonly config: QtOptConfig;
  readonly online: QNetwork;
  /**
   * The net that acts (validation, checkpoints, collectors): the average of the online weights with
   * optimizer.averageDecay, else the online net itself.
   */
  readonly acting: QNetwork;
  /** θₐ, the online weights' average; null without optimizer.averageDecay. */
  private readonly averaged: QNetwork | null;
  /** θ̄: picks a*; null without target networks. */
  readonly target: QNetwork | null;
  /** θ̄₁, θ̄₂: evaluate a* under clipped double Q; empty otherwise. */
  readonly delayed: readonly QNetwork[];
  readonly optimizer: JsAdam;
  /** CEM's samples at step k come from Rng(deriveSeed(cemSeed, k)): a function of (seed, step), so a resumed run draws what the uninterrupted one would. */
  private readonly cemSeed: number;
  /** Image shifts at step k come from Rng(deriveSeed(shiftSeed, k)), for the same reason. */
  private readonly shiftSeed: number;
  /** The conservative penalty's uniform actions at step k come from Rng(deriveSeed(conservativeSeed, k)). */
  private readonly conservativeSeed: number;
  /** The action jitter at step k comes from Rng(deriveSeed(jitterSeed, k)). */
  private readonly jitterSeed: number;
  private readonly lrSchedule: Schedule;
  private readonly stepConfig: DataParallelConfig;
  private parallel: DataParallelLearner | null = null;
  /** Threads inside the native kernels (1 when they are not in use). */
  private kernelThreads = 1;
  /** The nets of the Bellman targets: who picks a* and who values it (bellman-updater.ts bellmanNetsOf). */
  readonly bellmanNets: BellmanNets;
  private readonly bellmanSettings: BellmanSettings;
  /** The worker computing the next batch's targets (two threads, native kernels, target nets), or null. */
  private updater: BellmanUpdater | null = null;
  /** The updater's copy of the target chain is behind this thread's. */
  private updaterStale = true;
  /** The next steps' batches in step order, their targets started during earlier steps. */
  private ahead: PreparedBatch[] = [];
  private aheadCount = 0;

  /** The online net from `seed`; every target net starts as its copy. */
  constructor(config: QtOptConfig, seed: number) {
    this.config = config;
    const network = config.network as QNetConfig;
    this.online = new QNetwork(network, seed);
    const copy = (): QNetwork => {
      const net = new QNetwork(network, seed);
      hardUpdate(net.variables, this.online.variables);
      return net;
    };
    const b = config.bellman;
    this.target = b.targetNetworks ? copy() : null;
    this.delayed = b.targetNetworks && b.clippedDoubleQ ? [copy(), copy()] : [];
    const o = config.optimizer;
    this.averaged = o.averageDecay > 0 ? copy() : null;
    this.acting = this.averaged ?? this.online;
    this.optimizer = new JsAdam({ learningRate: o.learningRate, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon });
    this.lrSchedule = makeSchedule(o.lrSchedule, o.learningRate, o.lrEnd, o.lrDecaySteps);
    this.stepConfig = { loss: o.loss, huberDelta: o.huberDelta, maxGradNorm: o.maxGradNorm, conservativeWeight: o.conservativeWeight };
    this.cemSeed = deriveSeed(seed, CEM_STREAM);
    this.shiftSeed = deriveSeed(seed, SHIFT_STREAM);
    this.conservativeSeed = deriveSeed(seed, CONSERVATIVE_STREAM);
    this.jitterSeed = deriveSeed(seed, JITTER_STREAM);
    this.bellmanNets = bellmanNetsOf(this.target ?? this.online, this.delayed, config.bellman.argmaxNet);
    this.bellmanSettings = bellmanSettingsOf(config);
  }

  /** Every net (online, target, delayed, averaged) ← `net`'s weights: fine-tuning from a trained network. */
  startFrom(net: QNetwork): void {
    for (const mine of [this.online, this.target, ...this.delayed, this.averaged]) if (mine) hardUpdate(mine.variables, net.variables);
    this.updaterStale = true;
  }

  /** How many of the next steps' batches `step` can start the targets of (see its `upcoming`); 0 without an updater. */
  get batchesAhead(): number {
    return this.updater ? UPDATER_DEPTH : 0;
  }

  /** Steps so far whose targets the Bellman updater had started during an earlier step. */
  get aheadSteps(): number {
    return this.aheadCount;
  }

  /** numTensors of the Bellman updater's tfjs instance after its last batch (-1 before one; null without an updater). */
  get updaterTensors(): number | null {
    return this.updater?.workerTensors ?? null;
  }

  /** Threads each gradient step runs on (1: this thread only). */
  get threads(): number {
    return this.parallel?.threads ?? this.kernelThreads;
  }

  /**
   * Run each step on `threads` cores, while nothing else needs them; 1 gives them back.
   * With pincer's native kernels (src/tf/native) the kernels themselves run on that many
   * threads, targets and gradient alike, with the same bits as on one. Without them the
   * gradient is shared over tfjs-wasm instances in worker threads (src/rl
   * DataParallelLearner), the update equal to the one-thread update up to float rounding.
   * With the native kernels, two or more threads and target networks (and
   * train.bellmanUpdater), a Bellman updater also starts: see `step`.
   */
  async setThreads(threads: number): Promise<void> {
    if (threads === this.threads) return;
    await this.parallel?.close();
    this.parallel = null;
    await this.updater?.close();
    this.updater = null;
    this.ahead = [];
    this.kernelThreads = 1;
    if (setNativeThreads(threads)) {
      this.kernelThreads = threads;
      if (threads > 1 && this.target && this.config.train.bellmanUpdater) {
        this.updater = await BellmanUpdater.start(this.config, nativeKernelsInUse());
        this.updaterStale = true;
      }
    } else if (threads > 1) this.parallel = await DataParallelLearner.start(this.online, threads);
  }

  /**
   * One gradient step on `batch` as gradient step number `step` (counted from 1:
   * the learning rate is the schedule's at `step`, and the target nets update
   * after the steps that are multiples of their periods).
   *
   * `upcoming`, the batches the caller will pass as steps `step + 1`, `step + 2`, …
   * (at most batchesAhead of them), lets a Bellman updater (setThreads) compute their
   * targets while this thread takes its gradient steps, up to the first step after which
   * a target net changes. The result is the same as without them; the caller must not
   * change those batches before their steps.
   */
  async step(batch: ReplayBatch, step: number, upcoming: readonly ReplayBatch[] = []): Promise<LearnStats> {
    const { network } = this.config;
    const n = batch.size;
    const s = network.stateDim;
    const a = network.actionDim;
    const ahead = this.ahead[0]?.batch === batch && this.ahead[0].step === step ? this.ahead.shift()! : null;
    const { frames, nextFrames } = ahead ?? this.prepare(batch, step);
    const lr = this.lrSchedule(step);
    setLearningRate(this.optimizer, lr);
    const rows = targetRows(batch, nextFrames);
    const chunks = this.targetChunks(n, step);
    const waitStart = performance.now();
    const targets = ahead?.targets ? await ahead.targets.finish(this.config, this.bellmanNets, this.bellmanSettings) : new Float32Array(n); // [B]
    const updaterWaitMs = performance.now() - waitStart;
    if (ahead?.targets) this.aheadCount++;
    const actions = this.jitter(batch.actions.subarray(0, n * a) as Float32Array, n, step); // [B·A]
    const inputs: HostBatch = {
      images: frames,
      state: s > 0 ? scaledStates(batch.vectors, n, s) : null, // [B·S]
      actions: networkActions(actions, n, this.bellmanSettings.ignoredActions), // [B·A]
      targets,
      weights: this.config.replay.prioritized ? batch.weights.subarray(0, n) : null,
      conservativeActions: this.conservativeActions(actions, n, step), // [B·(K+M)·A] or null
    };
    let result: LearnerStepResult;
    if (this.parallel) {
      // On tfjs-wasm instances: the targets of the worker's rows go first, and this thread computes
      // its own rows' while the worker computes its gradient.
      const ownRows = n >= 2 ? Math.min(n - 1, Math.max(1, Math.round(n * OWN_SHARE))) : n;
      this.fillTargets(rows, chunks.filter((k) => k.to > ownRows), targets);
      result = await this.parallel.step(this.optimizer, inputs, this.stepConfig, {
        ownRows,
        beforeOwnShard: () => this.fillTargets(rows, chunks.filter((k) => k.to <= ownRows), targets),
      });
    } else {
      if (!ahead?.targets) this.fillTargets(rows, chunks, targets);
      this.startAhead(step, upcoming);
      // On kernelThreads threads: while the updater computes, it holds a core and these kernels
      // run on this thread alone (src/tf/native withClaimedCore); once it has caught up they
      // take the second core back. Dropping to one thread for every step taken ahead left that
      // core idle whenever the updater was.
      result = hostLearnerStep(this.online, this.optimizer, inputs, this.stepConfig);
    }
    this.updateTargets(step);
    if (this.averaged) polyakUpdate(this.averaged.variables, this.online.variables, 1 - this.config.optimizer.averageDecay);
    let targetSum = 0;
    let absTd = 0;
    let tdSum = 0;
    for (let i = 0; i < n; i++) {
      targetSum += targets[i]!;
      absTd += Math.abs(result.tdErrors[i]!);
      tdSum += result.tdErrors[i]!;
    }
    return {
      loss: result.loss,
      penalty: result.penalty,
      tdErrorMean: absTd / n,
      // Q = y − (y − Q), averaged.
      qMean: (targetSum - tdSum) / n,
      targetMean: targetSum / n,
      gradNorm: result.gradNorm,
      lr,
      tdErrors: result.tdErrors,
      updaterWaitMs,
    };
  }

  /**
   * The data's actions [B·A] with N(0, replay.actionJitter²) added to each move (dx, dy, dz, dyaw),
   * clipped to the box; the same array without jitter. Datasets repeat exact values (a reach that
   * has arrived moves by exactly 0, then closes): a Q-function may then rise only at those exact
   * actions, which no continuous search finds, so the Bellman max never meets the data's values.
   */
  private jitter(actions: Float32Array, n: number, step: number): Float32Array {
    const std = this.config.replay.actionJitter;
    if (std === 0) return actions;
    const a = this.config.network.actionDim;
    const rng = new Rng(deriveSeed(this.jitterSeed, step));
    const out = actions.slice();
    for (let row = 0; row < n; row++) {
      for (const d of MOVE_AND_YAW) out[row * a + d] = Math.min(1, Math.max(-1, out[row * a + d]! + std * rng.normal()));
    }
    return out;
  }

  /**
   * The conservative penalty's actions per row of the data's `actions` [B·A], as the network sees them
   * [B·(K+M)·A]: K uniform ones, then M contrasts (the row's action with another row's dx, dy). Null without
   * the penalty.
   */
  private conservativeActions(actions: Float32Array, n: number, step: number): Float32Array | null {
    const { conservativeWeight, conservativeActions: k, conservativeContrasts: m } = this.config.optimizer;
    if (conservativeWeight === 0) return null;
    const a = this.config.network.actionDim;
    const rng = new Rng(deriveSeed(this.conservativeSeed, step));
    const uniform = uniformActions(n * k, rng, actionSpace);
    const sampled = new Float32Array(n * (k + m) * a);
    for (let row = 0; row < n; row++) {
      const at = row * (k + m) * a;
      sampled.set(uniform.subarray(row * k * a, (row + 1) * k * a), at);
      for (let j = 0; j < m; j++) {
        const contrast = at + (k + j) * a;
        sampled.set(actions.subarray(row * a, (row + 1) * a), contrast);
        const other = (row + rng.int(1, n - 1)) % n;
        for (const d of MOVE_DIMS) sampled[contrast + d] = actions[other * a + d]!;
      }
    }
    return networkActions(sampled, n * (k + m), this.bellmanSettings.ignoredActions);
  }

  /**
   * this.ahead ← `upcoming` as steps step + 1, step + 2, …, up to the first step after which
   * a target net changes; what is already under way for the same batch and step is kept.
   */
  private startAhead(step: number, upcoming: readonly ReplayBatch[]): void {
    const started = this.ahead;
    this.ahead = [];
    for (const [i, batch] of upcoming.slice(0, this.batchesAhead).entries()) {
      if (this.chainChangesAfter(step + i)) break;
      const kept = started[i];
      this.ahead.push(kept?.batch === batch && kept.step === step + i + 1 ? kept : this.prepare(batch, step + i + 1, true));
    }
  }

  /**
   * The batch's frames as step `step` sees them; with `start`, its targets also start
   * on the updater, if there is one and some row bootstraps.
   */
  private prepare(batch: ReplayBatch, step: number, start = false): PreparedBatch {
    const { imageHeight: h, imageWidth: w, imageChannels: c } = this.config.network;
    const n = batch.size;
    const shift = this.config.replay.imageShift;
    const shiftRng = shift > 0 ? new Rng(deriveSeed(this.shiftSeed, step)) : null;
    const augment = (frames: Uint8Array): Uint8Array => (shiftRng ? shiftImages(frames, n, h, w, c, shift, shiftRng) : frames);
    const frames = augment(batch.images); // [B·H·W·C]
    const nextFrames = augment(batch.nextImages); // [B·H·W·C]
    let targets: TargetsAhead | null = null;
    if (start && this.updater && batch.discounts.some((d) => d > 0)) {
      if (this.updaterStale) this.updater.sync([this.target!, ...this.delayed]);
      this.updaterStale = false;
      targets = this.updater.targets(targetRows(batch, nextFrames), this.targetChunks(n, step));
    }
    return { batch, step, frames, nextFrames, targets };
  }

  /**
   * The batch's rows in chunks of CHUNK_ROWS, each with its own CEM draws, the same
   * whatever the threads: who computes a chunk does not change its targets.
   */
  private targetChunks(n: number, step: number): TargetChunk[] {
    const seed = deriveSeed(this.cemSeed, step);
    return Array.from({ length: Math.ceil(n / CHUNK_ROWS) }, (_, i) => ({ from: i * CHUNK_ROWS, to: Math.min(n, (i + 1) * CHUNK_ROWS), seed: deriveSeed(seed, i) }));
  }

  /** targets[from, to) ← y of each chunk's rows, on this thread. */
  private fillTargets(rows: TargetRows, chunks: readonly TargetChunk[], targets: Float32Array): void {
    for (const chunk of chunks) targets.set(chunkTargets(this.config, rows, chunk, this.bellmanNets, this.bellmanSettings), chunk.from);
  }

  /** Whether updateTargets(step) changes a net the targets read. */
  private chainChangesAfter(step: number): boolean {
    const b = this.config.bellman;
    if (!this.target) return true;
    if (step % b.targetUpdatePeriod === 0) return true;
    return this.delayed.length > 0 && (step % b.delayedUpdatePeriod === 0 || step % b.delayed2UpdatePeriod === 0);
  }

  /** θ̄₂ ← θ̄₁, θ̄₁ ← θ̄, θ̄ ← τθ + (1 − τ)θ̄, each on its own period, oldest first so a copy never skips a link. */
  private updateTargets(step: number): void {
    if (!this.target || !this.chainChangesAfter(step)) return;
    const b = this.config.bellman;
    const [d1, d2] = this.delayed;
    if (d1 && d2) {
      if (step % b.delayed2UpdatePeriod === 0) hardUpdate(d2.variables, d1.variables);
      if (step % b.delayedUpdatePeriod === 0) hardUpdate(d1.variables, this.target.variables);
    }
    if (step % b.targetUpdatePeriod === 0) polyakUpdate(this.target.variables, this.online.variables, b.targetUpdateTau);
    this.updaterStale = true;
  }

  /**
   * Everything a resume needs besides the acting net's weights, under names that do not
   * depend on the process: `target/<weight>`, `delayed1/…`, `delayed2/…` (the
   * target chain), `online/…` (when an average acts), `adam/iter` and `adam/<weight>/m|v`
   * (Adam's step count and moments, flat). The caller disposes the tensors.
   */
  async stateTensors(): Promise<{ name: string; tensor: tf.Tensor }[]> {
    const out: { name: string; tensor: tf.Tensor }[] = [];
    const nets = this.stateNets();
    for (const [prefix, net] of nets) {
      if (net) for (const { name, variable } of net.namedVariables()) out.push({ name: `${prefix}/${name}`, tensor: variable.clone() });
    }
    const stable = new Map(this.online.namedVariables().map(({ name, variable }) => [variable.name, name]));
    for (const { name, tensor } of await this.optimizer.getWeights()) {
      if (name === 'iter') {
        out.push({ name: 'adam/iter', tensor });
        continue;
      }
      const cut = name.lastIndexOf('/');
      out.push({ name: `adam/${stable.get(name.slice(0, cut)) ?? name.slice(0, cut)}/${name.slice(cut + 1)}`, tensor });
    }
    return out;
  }

  /** Restore what `stateTensors` saved (the tensors stay the caller's). Throws naming a missing or misshapen entry. */
  async restoreState(tensors: Record<string, tf.Tensor>): Promise<void> {
    const nets = this.stateNets();
    const need = (name: string, shape: readonly number[]): tf.Tensor => {
      const t = tensors[name];
      if (!t) throw new Error(`learner state: no ${name}`);
      if (t.size !== shape.reduce((a, b) => a * b, 1)) throw new Error(`learner state: ${name} has ${t.size} values, needs [${shape}]`);
      return t;
    };
    for (const [prefix, net] of nets) {
      if (!net) continue;
      for (const { name, variable } of net.namedVariables()) {
        const t = need(`${prefix}/${name}`, variable.shape);
        tf.tidy(() => variable.assign(t.reshape(variable.shape)));
      }
    }
    this.updaterStale = true;
    const weights = [{ name: 'iter', tensor: need('adam/iter', []) }];
    for (const { name, variable } of this.online.namedVariables()) {
      if (!tensors[`adam/${name}/m`]) continue; // Adam has not updated this weight yet
      weights.push({ name: `${variable.name}/m`, tensor: need(`adam/${name}/m`, [variable.size]) });
      weights.push({ name: `${variable.name}/v`, tensor: need(`adam/${name}/v`, [variable.size]) });
    }
    await this.optimizer.setWeights(weights);
  }

  /** The nets of `stateTensors` by prefix: the target chain, and the online net when it does not act. */
  private stateNets(): [string, QNetwork | null][] {
    return [['target', this.target], ['delayed1', this.delayed[0] ?? null], ['delayed2', this.delayed[1] ?? null], ['online', this.averaged ? this.online : null]];
  }

  /** Free the nets and the optimizer; worker threads of setThreads are terminated, not awaited. */
  dispose(): void {
    void this.parallel?.close();
    this.parallel = null;
    void this.updater?.close();
    this.updater = null;
    this.online.dispose();
    this.target?.dispose();
    for (const d of this.delayed) d.dispose();
    this.averaged?.dispose();
    this.optimizer.dispose();
  }
}
