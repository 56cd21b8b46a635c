/**
 * DQN on CartPole-v1, CleanRL `dqn.py` style: the arguments, the network, the
 * schedules, then the loop, in one file that reads top to bottom.
 *
 * Built from the shared Q-learning core (src/rl): replay (uniform / n-step /
 * prioritized), TD targets (DQN max, double Q, clipped double Q over two delayed
 * target nets), target updates (hard or Polyak), the generic learner step (TD
 * losses with importance weights, global-norm clipping, NaN guard), Adam with an
 * lr schedule, ε-greedy, Q-accuracy diagnostics.
 *
 * Shape legend: B batch, O = 4 observation floats, A = 2 actions.
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed, Rng } from '../../random/index.js';
import { CartPole, CARTPOLE_ACTIONS, CARTPOLE_OBS_DIM } from '../cartpole/index.js';
import { ConfigError, resolveDqnConfig, type DqnConfig, type DqnConfigInput } from '../config.js';
import { QAccuracy, type QAccuracySummary } from '../diagnostics.js';
import { argmax, epsilonGreedy } from '../explore.js';
import { learnerStep } from '../learner.js';
import type { MetricValue } from '../metrics.js';
import { betaSchedule, createAdam, epsilonSchedule, learningRateSchedule, setLearningRate } from '../optimizer.js';
import { ReplayBuffer, replayConfigFrom, type ReplayBatch } from '../replay.js';
import { hardUpdate, maybeUpdateTarget, selectQ, shiftLaggedTargets, tdTargets } from '../targets.js';
import { Mlp } from './mlp.js';

// ───────────────────────────── arguments ─────────────────────────────

/** Everything a CartPole DQN run depends on. */
export interface CartPoleDqnArgs {
  /** The Q-learning hyperparameters (γ, n-step, replay, target nets, double Q, loss, Adam, ε, PER, seed). */
  dqn: DqnConfig;
  /** Hidden layer widths of the Q-network. */
  hidden: readonly number[];
  /** Env steps to train for. */
  totalSteps: number;
  /** Greedy evaluation episodes at the end of training. */
  evalEpisodes: number;
  /** Learner steps between metrics lines (episode lines are always written). */
  logEvery: number;
}

/**
 * Q-learning hyperparameters for CartPole (each field is documented in rl/config.ts).
 * Chosen for tfjs on a shared 2-core machine, where a gradient step costs ~10-20 ms of
 * mostly per-kernel overhead: few, large-batch steps (every 4 env steps, batch 128),
 * and 3-step returns so that values propagate through a slow target network.
 */
const CARTPOLE_DQN_CONFIG: DqnConfigInput = {
  gamma: 0.99,
  nStep: 3,
  replayCapacity: 100_000,
  batchSize: 128,
  learningStarts: 1_000,
  trainFrequency: 4,
  // In learner steps (= 1000 env steps). In trials every 25 diverged within 15k env steps (Q ≫ 100),
  // and every 100 learned fastest but collapsed late in 3 of 5 seeds with Q rising past 100.
  targetUpdatePeriod: 250,
  targetUpdateTau: 1,
  doubleQ: true,
  loss: 'huber',
  huberDelta: 1,
  maxGradNorm: 10,
  learningRate: 1e-3,
  // Linear decay over the whole run (lrDecaySteps follows totalSteps unless given): a
  // small final step size keeps the last policy, the one evaluated, from drifting.
  lrSchedule: 'linear',
  lrEnd: 1e-4,
  epsilonSchedule: 'linear',
  epsilonStart: 1,
  epsilonEnd: 0.02,
  epsilonDecaySteps: 20_000,
  prioritized: false,
  seed: 0,
};

export const CARTPOLE_DQN_DEFAULTS: Readonly<{ dqn: DqnConfigInput } & Omit<CartPoleDqnArgs, 'dqn'>> = Object.freeze({
  dqn: CARTPOLE_DQN_CONFIG,
  hidden: [64, 64],
  totalSteps: 100_000,
  evalEpisodes: 10,
  logEvery: 500,
});

/** Resolve overrides on top of the CartPole defaults; a bad DQN value is a ConfigError naming the field. */
export function cartPoleDqnArgs(
  overrides: { dqn?: DqnConfigInput } & Partial<Omit<CartPoleDqnArgs, 'dqn'>> = {},
): CartPoleDqnArgs {
  const { dqn, ...rest } = overrides;
  const merged = { ...CARTPOLE_DQN_DEFAULTS, ...rest };
  const base = { ...CARTPOLE_DQN_DEFAULTS.dqn, ...dqn };
  // Learner steps in the run, for schedules that should span it (lr decay, PER's β → 1).
  const learnerSteps = Math.max(1, Math.floor((merged.totalSteps - (base.learningStarts ?? 0)) / (base.trainFrequency ?? 1)));
  const resolved = resolveDqnConfig({ lrDecaySteps: learnerSteps, priorityBetaSteps: learnerSteps, ...base }, 'cartpole dqn config');
  // Log loss treats Q as a probability; CartPole's returns reach 1/(1 − γ).
  if (resolved.loss === 'log') throw new ConfigError('cartpole dqn config: loss: log needs Q in [0, 1]; CartPole returns are not');
  return Object.freeze({ ...merged, dqn: resolved });
}

// ───────────────────────────── results ─────────────────────────────

export interface CartPoleDqnResult {
  seed: number;
  /** Mean undiscounted return of the greedy evaluation episodes. */
  evalReturn: number;
  evalReturns: number[];
  envSteps: number;
  learnerSteps: number;
  episodes: number;
  wallSeconds: number;
  /** Greedy eval episodes: predicted max_a Q(s₀, a) vs realized discounted return. */
  evalQ0: QAccuracySummary;
  /** Training episodes of the last 10% of env steps: Q(s₀, a₀) vs realized discounted return. */
  trainQ0: QAccuracySummary;
}

/** A metrics line: the step and grouped metric names (see rl/metrics.ts). */
export type MetricsSink = (step: number, metrics: Record<string, MetricValue>) => void;

// ───────────────────────────── the algorithm ─────────────────────────────

/**
 * Train DQN on CartPole-v1 for `args.totalSteps` env steps, then evaluate greedily.
 * The tfjs backend must be initialised by the caller. Same args ⇒ same result, bit for bit.
 */
export function trainCartPoleDqn(args: CartPoleDqnArgs, onMetrics: MetricsSink = () => {}): CartPoleDqnResult {
  const cfg = args.dqn;
  const start = performance.now();
  // Independent streams: env resets, exploration + replay sampling, network init, evaluation.
  const env = new CartPole();
  let obs = env.reset({ seed: deriveSeed(cfg.seed, 0) }).observation;
  const rng = new Rng(deriveSeed(cfg.seed, 1));
  const netRng = new Rng(deriveSeed(cfg.seed, 2));

  const sizes = [CARTPOLE_OBS_DIM, ...args.hidden, CARTPOLE_ACTIONS];
  const qNet = new Mlp(sizes, netRng);
  const nets = targetNets(cfg, qNet, () => new Mlp(sizes, netRng, false));
  const optimizer = createAdam(cfg);
  const replay = new ReplayBuffer(
    replayConfigFrom(cfg, { imageShape: null, vectorDim: CARTPOLE_OBS_DIM, action: { kind: 'discrete', n: CARTPOLE_ACTIONS } }),
  );
  const batch = replay.createBatch(cfg.batchSize);
  const epsilon = epsilonSchedule(cfg);
  const learningRate = learningRateSchedule(cfg);
  const beta = betaSchedule(cfg);

  // Acting runs the network in plain JS on a snapshot of θ, refreshed after every gradient step.
  let theta = qNet.snapshot();
  const qOut = new Float32Array(CARTPOLE_ACTIONS); // [A]
  const scratch = new Float32Array(2 * Math.max(...sizes));
  const qValues = (o: Float32Array): Float32Array => qNet.forwardOne(theta, o, qOut, scratch);

  // Q-accuracy on the last 10% of training episodes (ε is at its floor by then).
  const trainQ0 = new QAccuracy(cfg.gamma);
  const q0WindowStart = Math.floor(args.totalSteps * 0.9);
  let q0Open = false;
  let episodeReturn = 0;
  let episodes = 0;
  let learnerSteps = 0;
  let episodeStart = true;

  for (let step = 1; step <= args.totalSteps; step++) {
    // ε-greedy; the greedy branch is the only network call while acting.
    let q: Float32Array | null = null;
    const action = epsilonGreedy(rng, epsilon(step), CARTPOLE_ACTIONS, () => argmax((q = qValues(obs))));
    if (episodeStart && step >= q0WindowStart) {
      trainQ0.beginEpisode((q ?? qValues(obs))[action]);
      q0Open = true;
    }
    episodeStart = false;

    const next = env.step(action);
    const done = next.terminated || next.truncated;
    replay.add({ vector: obs }, action, next.reward, next.terminated, next.truncated, done ? { vector: next.observation } : undefined);
    episodeReturn += next.reward;
    if (q0Open) trainQ0.addReward(next.reward);
    obs = next.observation;

    if (done) {
      episodes++;
      onMetrics(step, { 'charts/episodic_return': episodeReturn, 'charts/episodic_length': env.elapsedSteps, 'charts/epsilon': epsilon(step) });
      if (q0Open) trainQ0.endEpisode();
      q0Open = false;
      episodeReturn = 0;
      episodeStart = true;
      obs = env.reset().observation;
    }

    // ── learner ──
    if (step > cfg.learningStarts && step % cfg.trainFrequency === 0) {
      learnerSteps++;
      replay.sample(rng, batch, beta(learnerSteps));
      setLearningRate(optimizer, learningRate(learnerSteps));
      const log = learnerSteps % args.logEvery === 0;
      const stats = learn(nets, optimizer, batch, cfg);
      replay.updatePriorities(batch.indices, stats.tdErrors);
      theta = qNet.snapshot();
      updateTargets(nets, learnerSteps, cfg);
      if (log) {
        onMetrics(step, {
          'losses/td_loss': stats.loss,
          'losses/td_error_abs': stats.meanAbsTd,
          'losses/q_values': stats.meanQ,
          'grad/global_norm': stats.gradNorm,
          'charts/learning_rate': learningRate(learnerSteps),
        });
      }
    }
  }

  const evaluation = evaluateGreedy(qValues, cfg.gamma, deriveSeed(cfg.seed, 3), args.evalEpisodes);
  const summaryQ0 = trainQ0.summary();
  onMetrics(args.totalSteps, {
    'eval/mean_return': evaluation.meanReturn,
    'diagnostics/q0_predicted': evaluation.q0.meanPredicted,
    'diagnostics/q0_realized': evaluation.q0.meanRealized,
    'diagnostics/q_overestimation': evaluation.q0.overestimation,
  });

  for (const net of new Set([qNet, nets.target, ...nets.delayed])) net.dispose();
  optimizer.dispose();
  return {
    seed: cfg.seed,
    evalReturn: evaluation.meanReturn,
    evalReturns: evaluation.returns,
    envSteps: args.totalSteps,
    learnerSteps,
    episodes,
    wallSeconds: (performance.now() - start) / 1000,
    evalQ0: evaluation.q0,
    trainQ0: summaryQ0,
  };
}

/** The online net and its lagged copies (the online net itself when targetNetworks is off). */
interface Nets {
  online: Mlp;
  /** θ': picks a* (without double Q) and evaluates it (without clipped double Q). */
  target: Mlp;
  /** Clipped double Q's two delayed nets, newest first: delayed₁ ← θ', delayed₂ ← delayed₁. Empty otherwise. */
  delayed: Mlp[];
}

/** The target chain the config asks for, every net starting as a copy of the online net. */
function targetNets(cfg: DqnConfig, online: Mlp, make: () => Mlp): Nets {
  if (!cfg.targetNetworks) return { online, target: online, delayed: [] };
  const target = make();
  const delayed = cfg.clippedDoubleQ ? [make(), make()] : [];
  for (const net of [target, ...delayed]) hardUpdate(net.variables, online.variables);
  return { online, target, delayed };
}

/**
 * After learner step `step`, tf_agents' order: the delayed chain shifts first
 * (delayed₂ ← delayed₁, delayed₁ ← θ') every delayedTargetUpdatePeriod, then
 * θ' ← τθ + (1 − τ)θ' every targetUpdatePeriod.
 */
function updateTargets(nets: Nets, step: number, cfg: DqnConfig): void {
  if (nets.target === nets.online) return;
  if (nets.delayed.length > 0 && step % cfg.delayedTargetUpdatePeriod === 0) {
    shiftLaggedTargets(nets.delayed.map((n) => n.variables), nets.target.variables);
  }
  maybeUpdateTarget(step, cfg.targetUpdatePeriod, cfg.targetUpdateTau, nets.target.variables, nets.online.variables);
}

interface LearnerStats {
  loss: number;
  meanAbsTd: number;
  meanQ: number;
  gradNorm: number;
  /** [B] TD errors δ = y − Q(s, a), for prioritized replay. */
  tdErrors: Float32Array;
}

/**
 * One gradient step on a sampled batch:
 *   a* = argmax_a' Q(s', a')  (double Q)   or   argmax_a' Q'(s', a')
 *   y  = R + d · Q'(s', a*)                 or, clipped double Q, R + d · min_j Q'_j(s', a*)  (delayed nets)
 *   L  = mean_i w_i · ℓ(Q(s_i, a_i) − y_i)  (w = PER importance weights, else 1)
 * y is computed outside the differentiated function: a semi-gradient, as in DQN.
 */
function learn(nets: Nets, optimizer: tf.AdamOptimizer, batch: ReplayBatch, cfg: DqnConfig): LearnerStats {
  const B = batch.size;
  return tf.tidy(() => {
    const s = tf.tensor2d(batch.vectors, [B, CARTPOLE_OBS_DIM]);
    const sNext = tf.tensor2d(batch.nextVectors, [B, CARTPOLE_OBS_DIM]);
    const actions = tf.tensor1d(batch.actions as Int32Array, 'int32');
    const targetQNext = nets.target.apply(sNext); // [B, A]
    const aStar = tf.argMax(cfg.doubleQ ? nets.online.apply(sNext) : targetQNext, 1) as tf.Tensor1D; // [B]
    const evaluators = nets.delayed.length > 0 ? nets.delayed.map((n) => n.apply(sNext)) : [targetQNext];
    const y = tdTargets(tf.tensor1d(batch.rewards), tf.tensor1d(batch.discounts), evaluators.map((q) => selectQ(q, aStar))); // [B]
    const weights = cfg.prioritized ? tf.tensor1d(batch.weights) : null;
    const step = learnerStep(nets.online.variables, optimizer, () => selectQ(nets.online.apply(s), actions), y, weights, {
      loss: cfg.loss,
      huberDelta: cfg.huberDelta,
      maxGradNorm: cfg.maxGradNorm,
      output: 'value',
    });
    const yValues = y.dataSync();
    let sumAbs = 0;
    let sumQ = 0;
    for (let b = 0; b < B; b++) {
      sumAbs += Math.abs(step.tdErrors[b]!);
      sumQ += yValues[b]! - step.tdErrors[b]!; // Q = y − δ
    }
    return { loss: step.loss, meanAbsTd: sumAbs / B, meanQ: sumQ / B, gradNorm: step.gradNorm, tdErrors: step.tdErrors };
  });
}

/** Greedy episodes on a separately seeded env: undiscounted returns and Q(s₀) accuracy. */
export function evaluateGreedy(
  qValues: (obs: Float32Array) => Float32Array,
  gamma: number,
  seed: number,
  episodes: number,
): { meanReturn: number; returns: number[]; q0: QAccuracySummary } {
  const env = new CartPole();
  const q0 = new QAccuracy(gamma);
  const returns: number[] = [];
  for (let e = 0; e < episodes; e++) {
    let obs = env.reset(e === 0 ? { seed } : {}).observation;
    let q = qValues(obs);
    q0.beginEpisode(Math.max(...q));
    let total = 0;
    for (;;) {
      const step = env.step(argmax(q));
      total += step.reward;
      q0.addReward(step.reward);
      if (step.terminated || step.truncated) break;
      obs = step.observation;
      q = qValues(obs);
    }
    q0.endEpisode();
    returns.push(total);
  }
  return { meanReturn: returns.reduce((a, b) => a + b, 0) / episodes, returns, q0: q0.summary() };
}
