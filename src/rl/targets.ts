/**
 * TD targets and target-network updates, as small pure functions over tensors.
 *
 * Shapes: B batch, A discrete actions.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * The Bellman backup (Mnih et al. 2015; n-step form, Sutton & Barto 2018 §7.1):
 *
 *   y = R + d · Q'(s', a*),   R = Σ_{m<k} γ^m r_{t+m},   d = γ^k (0 if the episode terminated)
 *
 * `discount` is d as the replay returns it, so termination and n-step are already
 * folded in and truncation keeps its bootstrap. With several `nextQ` (clipped double
 * Q: Fujimoto et al. 2018, TD3; Kalashnikov et al. 2018, QT-Opt §4.2 uses two lagged
 * target nets) the elementwise minimum is taken: y = R + d · min_j Q'_j(s', a*),
 * which counters overestimation from maximizing over noisy estimates.
 *
 * Discrete clipped double Q (src/rl/dqn): a* from the online net (double Q) or the
 * target net, then each delayed net's Q at a*:
 *   tdTargets(r, d, delayedQs.map((q) => selectQ(q, aStar)))
 * QT-Opt's continuous case passes each delayed net's Q at the CEM-chosen a*.
 *
 * reward, discount, nextQ: [B] → y: [B]
 */
export function tdTargets(reward: tf.Tensor1D, discount: tf.Tensor1D, nextQ: tf.Tensor1D | readonly tf.Tensor1D[]): tf.Tensor1D {
  return tf.tidy(() => {
    const q = Array.isArray(nextQ) ? (nextQ as readonly tf.Tensor1D[]).reduce((m, x) => tf.minimum(m, x)) : (nextQ as tf.Tensor1D);
    return tf.add(reward, tf.mul(discount, q));
  });
}

/** Q(s, a) of the given discrete actions: q [B, A], actions [B] int32 → [B]. */
export function selectQ(q: tf.Tensor2D, actions: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => tf.sum(tf.mul(q, tf.oneHot(actions.toInt(), q.shape[1])), 1));
}

/** DQN's max_a' Q'(s', a') from the target net (Mnih et al. 2015): targetQ [B, A] → [B]. */
export function maxNextQ(targetQ: tf.Tensor2D): tf.Tensor1D {
  return tf.max(targetQ, 1);
}

/**
 * Double Q-learning (van Hasselt et al. 2016): the online net selects
 * a* = argmax_a' Q(s', a'), the target net evaluates Q'(s', a*).
 * onlineQ, targetQ [B, A] → [B]
 */
export function doubleNextQ(onlineQ: tf.Tensor2D, targetQ: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => selectQ(targetQ, tf.argMax(onlineQ, 1)));
}

/** A weight that can be read and overwritten: a tf.Variable, or a layers-API LayerVariable. */
export type WeightVariable = tf.Variable | { read(): tf.Tensor; write(value: tf.Tensor): unknown };

function readWeight(v: WeightVariable): tf.Tensor {
  return v instanceof tf.Variable ? v : v.read();
}

function writeWeight(v: WeightVariable, value: tf.Tensor): void {
  if (v instanceof tf.Variable) v.assign(value);
  else v.write(value);
}

function checkPairs(target: readonly WeightVariable[], online: readonly WeightVariable[]): void {
  if (target.length !== online.length) throw new Error(`target update: ${target.length} target weights vs ${online.length} online`);
}

/** θ' ← θ: copy every online weight into the target (Mnih et al. 2015). */
export function hardUpdate(target: readonly WeightVariable[], online: readonly WeightVariable[]): void {
  checkPairs(target, online);
  tf.tidy(() => {
    for (let i = 0; i < target.length; i++) writeWeight(target[i], readWeight(online[i]).clone());
  });
}

/** θ' ← τθ + (1 − τ)θ' (Polyak averaging; Lillicrap et al. 2016, DDPG). τ = 1 is a hard copy. */
export function polyakUpdate(target: readonly WeightVariable[], online: readonly WeightVariable[], tau: number): void {
  checkPairs(target, online);
  if (tau === 1) return hardUpdate(target, online);
  tf.tidy(() => {
    for (let i = 0; i < target.length; i++) {
      writeWeight(target[i], tf.add(tf.mul(readWeight(online[i]), tau), tf.mul(readWeight(target[i]), 1 - tau)));
    }
  });
}

/**
 * A chain of lagged target nets for clipped double Q, newest first (tf_agents' QT-Opt
 * agent keeps `target_q_network_delayed` and `_delayed_2`; QT-Opt §4.2 takes the min
 * over two lagged targets). Each call shifts the chain by one: targets[k] ← targets[k−1]
 * from the oldest down, then targets[0] ← online (Polyak with τ; a copy when τ = 1).
 * As in tf_agents, `online` is usually the target net θ' (delayed₁ ← θ', delayed₂ ←
 * delayed₁), called every delayedTargetUpdatePeriod learner steps; see src/rl/dqn.
 */
export function shiftLaggedTargets(targets: readonly (readonly WeightVariable[])[], online: readonly WeightVariable[], tau = 1): void {
  for (let k = targets.length - 1; k >= 1; k--) hardUpdate(targets[k], targets[k - 1]);
  if (targets.length > 0) polyakUpdate(targets[0], online, tau);
}

/**
 * The configured target update at learner step `step` (counted from 1): every
 * `period` steps, a Polyak update with weight `tau` (a hard copy when tau = 1).
 * Returns whether an update happened.
 */
export function maybeUpdateTarget(
  step: number,
  period: number,
  tau: number,
  target: readonly WeightVariable[],
  online: readonly WeightVariable[],
): boolean {
  if (step % period !== 0) return false;
  polyakUpdate(target, online, tau);
  return true;
}
