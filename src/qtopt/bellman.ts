/**
 * QT-Opt's Bellman targets, as one pure function (Kalashnikov et al. 2018 §4.2;
 * tf_agents' qtopt_agent `_compute_td_targets`):
 *
 *   a*_b = argmax_a Q̄_argmax(s′_b, a)                  (CEM, or the max over K random actions;
 *                                                        with dataAction, also over the data's own a′_b)
 *   y_b  = R_b + d_b · min_j Q̄_j(s′_b, a*_b)            (clipped double Q over the value nets)
 *
 * with R_b the replay's n-step reward sum Σ_{m<k} γ^m r_{t+m} (a scene step penalty
 * included) and d_b its bootstrap discount γ^k, 0 when the episode terminated within
 * the k steps: the env's final grasp is terminal, so nothing bootstraps past it.
 * Which nets play which part is the caller's (the learner's) choice:
 * - QT-Opt / tf_agents: argmax = the target net (hard-copied from the online net),
 *   values = the two delayed nets;
 * - no clipping: argmax = values[0] = the target net;
 * - no target nets: argmax = values[0] = the online net.
 * Q = sigmoid(logit) throughout (the grasp net's head returns logits).
 *
 * Each net's encoder runs once per next image, and all of CEM's iterations score
 * candidates through the head on that embedding (encode once, head many).
 *
 * Only the rows that bootstrap (d_b > 0) are scored: a terminal row's y is R_b
 * whatever Q̄ says, so its a* and Q̄ are left 0 and CEM draws for the others
 * alone. With n-step returns as long as the episode no row bootstraps, and the
 * targets cost no network call at all.
 *
 * Shapes: B batch, N candidates per image, A action dims, U embedding, S state dims.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../random/index.js';
import { cem, randomShooting, type ActionBox, type CemConfig } from './cem.js';
import { actionsTensor } from './inputs.js';

/** What the targets need of a Q-network; src/tf's QNetwork satisfies it. */
export interface QScorer {
  /** Embedding of images [B,H,W,C] in [0, 1] and gripper state [B,S] → [B,U]. */
  encode(images: tf.Tensor4D, state: tf.Tensor2D): tf.Tensor2D;
  /** Q = σ(logit) of actions [B·N,A] on an embedding [B,U] (row b·N+i belongs to image b) → [B·N], no gradient. */
  headScores(embedding: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor1D;
}

/** The replay's side of a target: what followed each sampled transition. */
export interface BellmanInputs {
  /** [B] n-step reward sums R. */
  readonly rewards: Float32Array;
  /** [B] bootstrap discounts d = γ^k, or 0 after termination. */
  readonly discounts: Float32Array;
  /** [B,H,W,C] bootstrap images s′, float in [0, 1]. */
  readonly nextImages: tf.Tensor4D;
  /** [B,S] bootstrap gripper state. */
  readonly nextState: tf.Tensor2D;
  /** [B·A] the data's own action at s′, a candidate for a* beside the search's when settings.dataAction is on. */
  readonly dataNextActions?: Float32Array;
}

export interface BellmanNets {
  /** Picks a* (CEM or random shooting on its Q). */
  readonly argmax: QScorer;
  /** Evaluate Q(s′, a*); the target takes their minimum. One or two nets; may include `argmax`. */
  readonly values: readonly QScorer[];
}

export interface BellmanSettings {
  /** 'cem': a* by CEM (QT-Opt); 'random': the best of `randomActions` uniform actions (Quillen et al. 2018). */
  readonly argmax: 'cem' | 'random';
  readonly randomActions: number;
  readonly cem: CemConfig;
  /** Action dims the nets see as 0 (inputs.ts actionsTensor). */
  readonly ignoredActions: readonly number[];
  /**
   * The data's own next action is a candidate for a* too: the target is then never below the value of
   * continuing as the data did (an in-sample floor under the max, as in SARSA), even where Q peaks at
   * actions a continuous search does not draw, such as a reach's exact zero move before it grasps.
   */
  readonly dataAction?: boolean;
}

export interface BellmanTargets {
  /** [B] y. */
  readonly targets: Float32Array;
  /** [B,A] a*; 0 in terminal rows. */
  readonly nextActions: Float32Array;
  /** [B] min_j Q̄_j(s′, a*), in (0, 1); 0 in terminal rows. */
  readonly nextQ: Float32Array;
}

/**
 * y for a batch. Draws CEM's or random shooting's samples from `rng` for the rows
 * that bootstrap; reads the nets, never changes them; disposes every tensor it makes.
 */
export function bellmanTargets(inputs: BellmanInputs, nets: BellmanNets, settings: BellmanSettings, rng: Rng, box: ActionBox): BellmanTargets {
  const b = inputs.rewards.length;
  if (inputs.discounts.length !== b || inputs.nextImages.shape[0] !== b || inputs.nextState.shape[0] !== b) {
    throw new RangeError(`bellmanTargets: batch sizes disagree (rewards ${b}, discounts ${inputs.discounts.length}, images ${inputs.nextImages.shape[0]}, state ${inputs.nextState.shape[0]})`);
  }
  if (nets.values.length < 1 || nets.values.length > 2) throw new RangeError(`bellmanTargets: 1 or 2 value nets, got ${nets.values.length}`);
  const a = box.low.length;
  const live: number[] = [];
  for (let i = 0; i < b; i++) if (inputs.discounts[i]! > 0) live.push(i);
  const targets = Float32Array.from(inputs.rewards);
  const nextActions = new Float32Array(b * a);
  const nextQ = new Float32Array(b);
  if (live.length === 0) return { targets, nextActions, nextQ };
  const all = live.length === b;
  const [images, state] = all ? [inputs.nextImages, inputs.nextState] : tf.tidy(() => {
    const rows = tf.tensor1d(live, 'int32');
    return [tf.gather(inputs.nextImages, rows), tf.gather(inputs.nextState, rows)] as const;
  });
  const dataActions = settings.dataAction ? liveDataActions(inputs, live, a) : null; // [L·A] or null
  try {
    const scored = scoreNext(images, state, dataActions, nets, settings, rng, box); // [L,A], [L]
    live.forEach((row, j) => {
      nextActions.set(scored.nextActions.subarray(j * a, (j + 1) * a), row * a);
      nextQ[row] = scored.nextQ[j]!;
      targets[row] = inputs.rewards[row]! + inputs.discounts[row]! * scored.nextQ[j]!;
    });
    return { targets, nextActions, nextQ };
  } finally {
    if (!all) tf.dispose([images, state]);
  }
}

/** The data's next actions of the rows in `live` [L·A]. */
function liveDataActions(inputs: BellmanInputs, live: readonly number[], a: number): Float32Array {
  const data = inputs.dataNextActions;
  if (!data || data.length < inputs.rewards.length * a) throw new RangeError(`bellmanTargets: dataAction needs dataNextActions [${inputs.rewards.length}×${a}]`);
  const out = new Float32Array(live.length * a);
  live.forEach((row, j) => out.set(data.subarray(row * a, (row + 1) * a), j * a));
  return out;
}

/**
 * a* and min_j Q̄_j(s′, a*) for every row of next images [L,H,W,C] and state [L,S]; with the data's
 * next actions [L·A], a* is whichever of the search's best and the data's the argmax net scores higher.
 */
function scoreNext(nextImages: tf.Tensor4D, nextState: tf.Tensor2D, dataActions: Float32Array | null, nets: BellmanNets, settings: BellmanSettings, rng: Rng, box: ActionBox): { nextActions: Float32Array; nextQ: Float32Array } {
  const b = nextImages.shape[0];
  const a = box.low.length;
  const embeddings = new Map<QScorer, tf.Tensor2D>();
  const embed = (net: QScorer): tf.Tensor2D => {
    let e = embeddings.get(net);
    if (!e) {
      e = net.encode(nextImages, nextState); // [B, U]
      embeddings.set(net, e);
    }
    return e;
  };
  try {
    const argmaxEmbedding = embed(nets.argmax);
    const score = (candidates: Float32Array): Float32Array =>
      tf.tidy(() => {
        const actions = actionsTensor(candidates, candidates.length / a, settings.ignoredActions); // [B·N, A]
        return nets.argmax.headScores(argmaxEmbedding, actions).dataSync() as Float32Array; // [B·N]
      });
    const searched = settings.argmax === 'cem' ? cem(score, settings.cem, rng, b, box).best : randomShooting(score, settings.randomActions, rng, b, box).best; // [B, A]
    const nextActions = dataActions ? higherOf(searched, dataActions, score, a) : searched;
    const nextQ = tf.tidy(() => {
      const actions = actionsTensor(nextActions, b, settings.ignoredActions); // [B, A]
      const qs = nets.values.map((net) => net.headScores(embed(net), actions)); // each [B]
      return qs.reduce((m, q) => tf.minimum(m, q)).dataSync() as Float32Array; // [B]
    });
    return { nextActions, nextQ };
  } finally {
    for (const e of embeddings.values()) e.dispose();
  }
}

/** Per row, whichever of two candidate actions [B·A] `score` rates higher (the first on a tie). [B·A] */
function higherOf(first: Float32Array, second: Float32Array, score: (candidates: Float32Array) => Float32Array, a: number): Float32Array {
  const b = first.length / a;
  const both = new Float32Array(2 * b * a); // [B, 2, A]: row b's two candidates side by side
  for (let row = 0; row < b; row++) {
    both.set(first.subarray(row * a, (row + 1) * a), 2 * row * a);
    both.set(second.subarray(row * a, (row + 1) * a), (2 * row + 1) * a);
  }
  const q = score(both); // [B·2]
  const out = first.slice();
  for (let row = 0; row < b; row++) if (q[2 * row + 1]! > q[2 * row]!) out.set(second.subarray(row * a, (row + 1) * a), row * a);
  return out;
}
