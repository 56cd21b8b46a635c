/**
 * Replay memory: a ring of frame slots in preallocated typed arrays, each frame
 * stored once, with optional n-step returns and proportional prioritized replay
 * (Schaul et al. 2016).
 *
 * Shapes: C capacity (slots), B batch, H W Ch image, V vector part, A action dims.
 *
 * Layout. Slot i holds one observation (uint8 image [H*W*Ch] + float32 vector [V])
 * and, when it is a step slot, the action taken from it, the reward that followed
 * and the terminated/truncated flags. An episode of L steps fills L consecutive
 * slots, then one terminal-frame slot with its final observation. So the next
 * observation of slot i is always slot i+1 (mod C): the next step of the same
 * episode, or the episode's stored final frame. No frame is copied twice and no
 * per-transition index arrays are needed.
 *
 * n-step (Sutton & Barto 2018, §7.1): from slot i the return sums
 * Σ_{m<k} γ^m r_{i+m} over k = n steps, or fewer if the episode ends first;
 * the bootstrap observation is slot i+k and its discount is γ^k, or 0 if the
 * episode terminated within those k steps. Truncation keeps γ^k: the final frame
 * is bootstrapped from, since the task did not end there, only the recording.
 *
 * Validity. A step slot can be sampled once its whole chain (slots i..i+k) is
 * written; it stops being sampleable when slot i itself is overwritten. Chains
 * only point forward in time, so overwriting the oldest slot never breaks a
 * newer transition.
 */
import { z } from 'zod';
import type { Rng } from '../random/index.js';
import { ConfigError, describeIssues, type DqnConfig } from './config.js';
import { MinTree, SumTree } from './sum-tree.js';

/** Flag bits per slot. */
const STEP = 1; // the slot holds a step: action, reward, flags (not a final frame)
const TERMINATED = 2; // the episode ended at this step in a terminal state
const TRUNCATED = 4; // the episode was cut off after this step (time limit)
const VALID = 8; // the slot's n-step chain is complete: it can be sampled

/** Default largest byte length of one image page: Node 20 caps a typed array at 4 GiB, so frames are paged. */
const PAGE_BYTES = 1 << 30;

const ReplayConfigSchema = z.strictObject({
  /** Frame slots (an episode of L steps uses L + 1). */
  capacity: z.number().int().min(2),
  /** Image part [H, W, Ch] stored as uint8, or null for vector-only observations. */
  imageShape: z.tuple([z.number().int().min(1), z.number().int().min(1), z.number().int().min(1)]).readonly().nullable(),
  /** Length of the float32 vector part of an observation (0 = none). */
  vectorDim: z.number().int().min(0),
  /** Continuous actions as float32 [A], or discrete actions as one int in [0, n). */
  action: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('continuous'), dim: z.number().int().min(1) }),
    z.strictObject({ kind: z.literal('discrete'), n: z.number().int().min(1) }),
  ]),
  /** Discount per step, in [0, 1]. */
  gamma: z.number().min(0).max(1),
  /** Steps in the n-step return (1 = one-step). */
  nStep: z.number().int().min(1).default(1),
  /** Proportional prioritized replay on/off. */
  prioritized: z.boolean().default(false),
  /** PER exponent α: P(i) ∝ p_i^α (Schaul et al. 2016: 0.6). */
  priorityAlpha: z.number().min(0).max(1).default(0.6),
  /** PER ε added to |δ|. */
  priorityEpsilon: z.number().positive().default(1e-6),
});

export type ReplayConfig = Readonly<z.output<typeof ReplayConfigSchema>>;
/** What `replayConfig` takes: capacity, shapes and γ; n-step and PER settings default to 1-step uniform replay. */
export type ReplayConfigInput = z.input<typeof ReplayConfigSchema>;

/** One observation as handed to the buffer; parts not in the config are ignored. */
export interface ReplayObservation {
  /** [H*W*Ch] uint8, row-major. Required when the config has an imageShape. */
  image?: Uint8Array;
  /** [V] float values. Required when vectorDim > 0. */
  vector?: ArrayLike<number>;
}

/** A sampled minibatch. Arrays are preallocated once and overwritten by each `sample`. */
export interface ReplayBatch {
  readonly size: number;
  /** [B] slot ids, for `updatePriorities`. */
  readonly indices: Int32Array;
  /** [B, H, W, Ch] uint8 (length 0 without images). */
  readonly images: Uint8Array;
  /** [B, V] */
  readonly vectors: Float32Array;
  /** [B, A] float32 for continuous actions, [B] int32 for discrete. */
  readonly actions: Float32Array | Int32Array;
  /** [B] n-step discounted reward sum Σ_{m<k} γ^m r_m. */
  readonly rewards: Float32Array;
  /** [B] bootstrap discount: γ^k, or 0 if the episode terminated within the k steps. */
  readonly discounts: Float32Array;
  /** [B] k, the steps summed (≤ nStep; fewer at episode ends). */
  readonly steps: Int32Array;
  /** [B, H, W, Ch] bootstrap observation images (slot i+k). */
  readonly nextImages: Uint8Array;
  /** [B, V] bootstrap observation vectors. */
  readonly nextVectors: Float32Array;
  /** [B, A] or [B]: the action stored with the bootstrap observation (what the data did there). */
  readonly nextActions: Float32Array | Int32Array;
  /** [B] importance weights (all 1 for uniform sampling), max-normalized to ≤ 1. */
  readonly weights: Float32Array;
}

/**
 * Validate a replay config read from anywhere (a file, a saved replay); fills the
 * defaults. A bad value is a one-line ConfigError naming the field, prefixed by `source`.
 */
export function resolveReplayConfig(config: unknown, source = 'replay config'): ReplayConfig {
  const result = ReplayConfigSchema.safeParse(config);
  if (!result.success) throw new ConfigError(`${source}: ${describeIssues(result.error)}`);
  const c = result.data;
  if (c.capacity <= c.nStep + 1) throw new ConfigError(`${source}: capacity: must exceed nStep + 1 (${c.nStep + 1})`);
  return Object.freeze(c);
}

/**
 * A replay config from its own settings, for agents without a DqnConfig (QT-Opt):
 *
 *   replayConfig({ capacity: 200_000, imageShape: [64, 64, 3], vectorDim: 3,
 *                  action: { kind: 'continuous', dim: ACTION_DIM }, gamma: 0.9, prioritized: true })
 */
export function replayConfig(input: ReplayConfigInput, source = 'replay config'): ReplayConfig {
  return resolveReplayConfig(input, source);
}

/** The replay config a DqnConfig implies, for observations and actions of the given shape. */
export function replayConfigFrom(
  config: DqnConfig,
  spec: { imageShape: readonly [number, number, number] | null; vectorDim: number; action: ReplayConfig['action'] },
): ReplayConfig {
  return replayConfig({
    capacity: config.replayCapacity,
    imageShape: spec.imageShape,
    vectorDim: spec.vectorDim,
    action: spec.action,
    gamma: config.gamma,
    nStep: config.nStep,
    prioritized: config.prioritized,
    priorityAlpha: config.priorityAlpha,
    priorityEpsilon: config.priorityEpsilon,
  });
}

function frameBytes(config: ReplayConfig): number {
  return config.imageShape ? config.imageShape[0] * config.imageShape[1] * config.imageShape[2] : 0;
}

function actionWidth(config: ReplayConfig): number {
  return config.action.kind === 'continuous' ? config.action.dim : 1;
}

/**
 * Bytes per slot: image H·W·Ch (uint8) + vector 4V + action 4A (float32) or 4 (int32)
 * + reward 4 + flags 1. Prioritized replay adds two float64 trees over P = C rounded
 * up to a power of two, 2 · 2P · 8 bytes in all (`replayBytes`).
 */
export function replayBytesPerSlot(config: ReplayConfig): number {
  return frameBytes(config) + 4 * config.vectorDim + 4 * actionWidth(config) + 4 + 1;
}

/** Total bytes the buffer allocates for its storage (excluding batches). */
export function replayBytes(config: ReplayConfig): number {
  let p = 1;
  while (p < config.capacity) p *= 2;
  return config.capacity * replayBytesPerSlot(config) + (config.prioritized ? 2 * 2 * p * 8 : 0);
}

/** Scalar state saved beside the arrays. */
export interface ReplayCounters {
  /** Next slot to write. */
  cursor: number;
  /** Slots written so far, capped at capacity. */
  size: number;
  /** Slots ever written. */
  added: number;
  /** Sampleable transitions. */
  validCount: number;
  /** Largest raw priority (|δ| + ε) seen; new transitions get it. */
  maxPriority: number;
}

export class ReplayBuffer {
  readonly config: ReplayConfig;
  private readonly frameBytes: number;
  private readonly framesPerChunk: number;
  /** Frame pages [framesPerChunk * H*W*Ch] uint8. */
  private readonly imageChunks: Uint8Array[];
  /** [C, V] */
  private readonly vectors: Float32Array;
  /** [C, A] or [C] */
  private readonly actions: Float32Array | Int32Array;
  /** [C] */
  private readonly rewards: Float32Array;
  /** [C] STEP | TERMINATED | TRUNCATED | VALID */
  private readonly flags: Uint8Array;
  /** Priorities p^α of valid slots, 0 elsewhere. */
  private readonly sumTree: SumTree | null;
  /** Priorities p^α of valid slots, +∞ elsewhere. */
  private readonly minTree: MinTree | null;
  private counters: ReplayCounters = { cursor: 0, size: 0, added: 0, validCount: 0, maxPriority: 1 };

  /** `pageBytes` bounds each image page (default 1 GiB; at least one frame per page). */
  constructor(config: ReplayConfig, pageBytes = PAGE_BYTES) {
    this.config = resolveReplayConfig(config);
    const c = this.config;
    const cap = c.capacity;
    this.frameBytes = frameBytes(c);
    this.framesPerChunk = this.frameBytes > 0 ? Math.max(1, Math.floor(pageBytes / this.frameBytes)) : cap;
    this.imageChunks = [];
    if (this.frameBytes > 0) {
      for (let first = 0; first < cap; first += this.framesPerChunk) {
        this.imageChunks.push(new Uint8Array(Math.min(this.framesPerChunk, cap - first) * this.frameBytes));
      }
    }
    this.vectors = new Float32Array(cap * c.vectorDim);
    this.actions = c.action.kind === 'continuous' ? new Float32Array(cap * c.action.dim) : new Int32Array(cap);
    this.rewards = new Float32Array(cap);
    this.flags = new Uint8Array(cap);
    this.sumTree = c.prioritized ? new SumTree(cap) : null;
    this.minTree = c.prioritized ? new MinTree(cap) : null;
  }

  /** Bytes per image page as constructed (what `new ReplayBuffer(config, pageBytes)` needs to get the same sections). */
  get pageBytes(): number {
    return this.frameBytes > 0 ? this.framesPerChunk * this.frameBytes : PAGE_BYTES;
  }

  /** Slots written so far (steps and final frames), capped at capacity. */
  get size(): number {
    return this.counters.size;
  }

  /** Transitions that can be sampled now. */
  get validCount(): number {
    return this.counters.validCount;
  }

  /** Bytes actually allocated for storage (sum of the typed arrays' byte lengths). */
  bytesAllocated(): number {
    let bytes = this.vectors.byteLength + this.actions.byteLength + this.rewards.byteLength + this.flags.byteLength;
    for (const chunk of this.imageChunks) bytes += chunk.byteLength;
    if (this.sumTree && this.minTree) bytes += this.sumTree.nodes.byteLength + this.minTree.nodes.byteLength;
    return bytes;
  }

  /**
   * Record one env step: `obs` is the observation the action was chosen from.
   * Consecutive calls form an episode; when the step ends it (terminated or
   * truncated), pass the episode's final observation as `finalObs`; it is stored
   * once as the episode's terminal frame, and the next call starts a new episode.
   */
  add(
    obs: ReplayObservation,
    action: number | ArrayLike<number>,
    reward: number,
    terminated: boolean,
    truncated: boolean,
    finalObs?: ReplayObservation,
  ): void {
    const done = terminated || truncated;
    if (done && !finalObs) throw new Error('ReplayBuffer.add: finalObs is required when the step ends the episode');
    const c = this.config;
    if (c.action.kind === 'continuous') {
      if (typeof action === 'number' || action.length !== c.action.dim) {
        throw new Error(`ReplayBuffer.add: action must have ${c.action.dim} values`);
      }
    } else if (typeof action !== 'number' || !Number.isInteger(action) || action < 0 || action >= c.action.n) {
      throw new Error(`ReplayBuffer.add: action must be an integer in [0, ${c.action.n}), got ${String(action)}`);
    }
    this.checkObservation(obs);
    if (finalObs) this.checkObservation(finalObs);
    const slot = this.writeSlot(obs, STEP | (terminated ? TERMINATED : 0) | (truncated && !terminated ? TRUNCATED : 0));
    if (typeof action === 'number') this.actions[slot] = action;
    else this.actions.set(action, slot * actionWidth(c));
    this.rewards[slot] = reward;
    this.completeChains();
    if (finalObs && done) {
      this.writeSlot(finalObs, 0);
      this.completeChains();
    }
  }

  /** Throw (before anything is written) if an observation does not fit the config. */
  private checkObservation(obs: ReplayObservation): void {
    const V = this.config.vectorDim;
    if (this.frameBytes > 0 && obs.image?.length !== this.frameBytes) {
      throw new Error(`ReplayBuffer.add: image must have ${this.frameBytes} bytes, got ${obs.image?.length ?? 'none'}`);
    }
    if (V > 0 && obs.vector?.length !== V) {
      throw new Error(`ReplayBuffer.add: vector must have ${V} values, got ${obs.vector?.length ?? 'none'}`);
    }
  }

  /** Write an observation into the cursor slot with the given flags; returns the slot. */
  private writeSlot(obs: ReplayObservation, flags: number): number {
    const c = this.config;
    const n = this.counters;
    const slot = n.cursor;
    if (this.flags[slot] & VALID) n.validCount--;
    this.flags[slot] = flags;
    this.setPriority(slot, 0);
    if (obs.image && this.frameBytes > 0) this.frame(slot).set(obs.image);
    if (obs.vector && c.vectorDim > 0) this.vectors.set(obs.vector, slot * c.vectorDim);
    this.actions.fill(0, slot * actionWidth(c), (slot + 1) * actionWidth(c));
    this.rewards[slot] = 0;
    n.cursor = (slot + 1) % c.capacity;
    n.size = Math.min(n.size + 1, c.capacity);
    n.added++;
    return slot;
  }

  /**
   * After a write at slot w, the transitions that just became complete are the
   * step slots i = w − m (1 ≤ m ≤ nStep) whose chain length is exactly m.
   */
  private completeChains(): void {
    const c = this.config;
    const cap = c.capacity;
    const w = (this.counters.cursor - 1 + cap) % cap;
    const maxBack = Math.min(c.nStep, this.counters.size - 1);
    for (let m = 1; m <= maxBack; m++) {
      const i = (w - m + cap) % cap;
      if (!(this.flags[i] & STEP) || this.flags[i] & VALID) continue;
      if (this.chainLength(i, m) === m) {
        this.flags[i] |= VALID;
        this.counters.validCount++;
        this.setPriority(i, Math.pow(this.counters.maxPriority, c.priorityAlpha));
      }
    }
  }

  /** Steps k in the n-step chain from slot i, looking at most `limit` slots ahead; -1 if not complete within them. */
  private chainLength(i: number, limit: number): number {
    const cap = this.config.capacity;
    const n = this.config.nStep;
    for (let m = 0; m < Math.min(n, limit); m++) {
      if (this.flags[(i + m) % cap] & (TERMINATED | TRUNCATED)) return m + 1;
    }
    return n <= limit ? n : -1;
  }

  private setPriority(slot: number, value: number): void {
    if (!this.sumTree || !this.minTree) return;
    this.sumTree.set(slot, value);
    this.minTree.set(slot, value > 0 ? value : Infinity);
  }

  /** The image bytes of slot i, a view into its page. */
  private frame(i: number): Uint8Array {
    const chunk = this.imageChunks[Math.floor(i / this.framesPerChunk)];
    const offset = (i % this.framesPerChunk) * this.frameBytes;
    return chunk.subarray(offset, offset + this.frameBytes);
  }

  /** Preallocated arrays for batches of `size` transitions. */
  createBatch(size: number): ReplayBatch {
    const c = this.config;
    return {
      size,
      indices: new Int32Array(size),
      images: new Uint8Array(size * this.frameBytes),
      vectors: new Float32Array(size * c.vectorDim),
      actions: c.action.kind === 'continuous' ? new Float32Array(size * c.action.dim) : new Int32Array(size),
      rewards: new Float32Array(size),
      discounts: new Float32Array(size),
      steps: new Int32Array(size),
      nextImages: new Uint8Array(size * this.frameBytes),
      nextVectors: new Float32Array(size * c.vectorDim),
      nextActions: c.action.kind === 'continuous' ? new Float32Array(size * c.action.dim) : new Int32Array(size),
      weights: new Float32Array(size),
    };
  }

  /**
   * Fill `batch` with `batch.size` transitions drawn with replacement. Uniform over
   * valid transitions, or with prioritized replay P(i) = p_i^α / Σ p^α, drawn
   * stratified (one sample per equal-mass segment, Schaul et al. appendix B.2.1),
   * with importance weights w_i = (N·P(i))^−β / max_j (N·P(j))^−β = (P_min / P(i))^β.
   */
  sample(rng: Rng, batch: ReplayBatch, beta = 1): void {
    const n = this.counters;
    if (n.validCount === 0) throw new Error('ReplayBuffer.sample: no complete transitions yet');
    const B = batch.size;
    if (this.sumTree && this.minTree) {
      const total = this.sumTree.total();
      const segment = total / B;
      const pMin = this.minTree.min() / total;
      for (let b = 0; b < B; b++) {
        const i = this.sumTree.find((b + rng.uniform()) * segment);
        const p = this.sumTree.get(i) / total;
        batch.weights[b] = Math.pow(pMin / p, beta);
        this.gather(i, batch, b);
      }
    } else {
      for (let b = 0; b < B; b++) {
        // Rejection keeps sampling uniform over valid slots; almost every slot is valid
        // (all but final frames and the newest few), so this loops about once.
        let i: number;
        do i = rng.int(0, n.size - 1);
        while (!(this.flags[i] & VALID));
        batch.weights[b] = 1;
        this.gather(i, batch, b);
      }
    }
  }

  /** Copy transition i (observation, action, n-step return, bootstrap observation) into row b. */
  private gather(i: number, batch: ReplayBatch, b: number): void {
    const c = this.config;
    const cap = c.capacity;
    const V = c.vectorDim;
    const A = actionWidth(c);
    let ret = 0;
    let g = 1;
    let k = 0;
    let terminated = false;
    for (let m = 0; m < c.nStep; m++) {
      const j = (i + m) % cap;
      ret += g * this.rewards[j];
      g *= c.gamma;
      k = m + 1;
      if (this.flags[j] & TERMINATED) {
        terminated = true;
        break;
      }
      if (this.flags[j] & TRUNCATED) break;
    }
    const next = (i + k) % cap;
    batch.indices[b] = i;
    batch.rewards[b] = ret;
    batch.discounts[b] = terminated ? 0 : g;
    batch.steps[b] = k;
    for (let a = 0; a < A; a++) {
      batch.actions[b * A + a] = this.actions[i * A + a];
      batch.nextActions[b * A + a] = this.actions[next * A + a];
    }
    for (let v = 0; v < V; v++) {
      batch.vectors[b * V + v] = this.vectors[i * V + v];
      batch.nextVectors[b * V + v] = this.vectors[next * V + v];
    }
    // Images go through a native copy; the subarray views are the only objects created per sample.
    if (this.frameBytes > 0) {
      batch.images.set(this.frame(i), b * this.frameBytes);
      batch.nextImages.set(this.frame(next), b * this.frameBytes);
    }
  }

  /**
   * Set priorities from TD errors: p_i = |δ_i| + ε, stored as p_i^α. Slots that were
   * overwritten since they were sampled are skipped; a non-finite δ throws (the learner
   * diverged). No-op without prioritized replay.
   */
  updatePriorities(indices: ArrayLike<number>, tdErrors: ArrayLike<number>): void {
    if (!this.sumTree) return;
    const c = this.config;
    for (let b = 0; b < indices.length; b++) {
      const i = indices[b];
      if (!(this.flags[i] & VALID)) continue;
      const p = Math.abs(tdErrors[b]) + c.priorityEpsilon;
      // One NaN would poison every sum above it and silently break all later sampling.
      if (!Number.isFinite(p)) throw new Error(`ReplayBuffer.updatePriorities: TD error ${tdErrors[b]} at row ${b} is not finite`);
      if (p > this.counters.maxPriority) this.counters.maxPriority = p;
      this.setPriority(i, Math.pow(p, c.priorityAlpha));
    }
  }

  /** Raw stored priority p_i^α of slot i (0 when not sampleable or without PER). */
  priority(i: number): number {
    return this.sumTree ? this.sumTree.get(i) : 0;
  }

  /** Scalar state, for saving. */
  getCounters(): ReplayCounters {
    return { ...this.counters };
  }

  /**
   * The storage as byte views, in a fixed order, for saving and loading
   * (flags, rewards, actions, vectors, image pages, then priorities p^α if PER).
   */
  sections(): Uint8Array[] {
    const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const out = [bytes(this.flags), bytes(this.rewards), bytes(this.actions), bytes(this.vectors), ...this.imageChunks.map(bytes)];
    if (this.sumTree) out.push(bytes(this.sumTree.nodes.subarray(this.sumTree.leaves, this.sumTree.leaves + this.config.capacity)));
    return out;
  }

  /** After `sections()` were filled from a file: restore the counters and rebuild the trees from the leaves. */
  restore(counters: ReplayCounters): void {
    this.counters = { ...counters };
    if (this.sumTree && this.minTree) {
      for (let i = 0; i < this.config.capacity; i++) this.setPriority(i, this.sumTree.get(i));
    }
  }
}
