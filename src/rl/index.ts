/**
 * Q-learning core, generic over the observation type: replay (uniform, n-step,
 * prioritized), TD targets (DQN, double, clipped double), target-network updates,
 * one learner step (losses, importance weights, gradient clipping, NaN guard), Adam
 * with schedules, exploration (ε-greedy; uniform, ε-uniform and clipped Gaussian for
 * continuous boxes), and one validated config. Portable; replay files, the metrics
 * writer and worker threads are in `./node.ts`.
 *
 * Typical learner step (B batch, A actions; see each function's doc):
 *
 *   const cfg = resolveDqnConfig({ nStep: 3, prioritized: true });          // ConfigError names a bad field
 *   const replay = new ReplayBuffer(replayConfigFrom(cfg, { imageShape: null, vectorDim: 4, action: { kind: 'discrete', n: 2 } }));
 *   replay.add(obs, action, reward, terminated, truncated, terminated || truncated ? finalObs : undefined);
 *   const batch = replay.createBatch(cfg.batchSize);                       // once
 *   replay.sample(rng, batch, betaSchedule(cfg)(learnerStep));             // fills batch in place
 *   // y = tdTargets(rewards, discounts, doubleNextQ(onlineQ(s'), targetQ(s')))
 *   setLearningRate(adam, lr(step));
 *   const { loss, tdErrors, gradNorm } = learnerStep(online.variables, adam, () => selectQ(onlineQ(s), actions), y, weights,
 *     { loss: cfg.loss, huberDelta: cfg.huberDelta, maxGradNorm: cfg.maxGradNorm, output: 'value' });
 *   replay.updatePriorities(batch.indices, tdErrors);
 *   maybeUpdateTarget(learnerStep, cfg.targetUpdatePeriod, cfg.targetUpdateTau, targetVars, onlineVars);
 *
 * Around it: epsilonGreedy(rng, epsilonSchedule(cfg)(envStep), A, greedyFn); QAccuracy for
 * predicted Q(s₀, a₀) vs realized return; MetricsWriter for metrics.jsonl (`losses/td_loss`, ...);
 * saveReplay / loadReplay for checkpoints; runSeeds + summarize for K-seed reports.
 *
 * test/rl-core-learning.test.ts runs exactly this loop on a chain MDP with known Q*.
 *
 * Conventions:
 * - Replay capacity counts frame slots: an episode of L steps takes L + 1 (its final
 *   frame is stored once). Memory: `replayBytes(config)`; figures in docs/benchmarks.md.
 * - `discounts` from the replay are γ^k, or 0 after termination; truncation keeps γ^k
 *   and bootstraps from the stored final frame. Pass them straight to `tdTargets`.
 * - ε counts env steps; the learning rate, β and target updates count learner steps.
 * - Errors: `ConfigError` (names the field) and `ReplayFileError` (names the file) are
 *   one-line messages; CLI commands wrap them in UsageError / PincerError.
 *
 * Subfolders owned by the tabular/CartPole/DQN engineer export below.
 */
export { DqnConfigSchema, DQN_DEFAULTS, ConfigError, describeIssues, resolveDqnConfig, type DqnConfig, type DqnConfigInput } from './config.js';
export {
  ReplayBuffer,
  resolveReplayConfig,
  replayConfig,
  replayConfigFrom,
  replayBytes,
  replayBytesPerSlot,
  type ReplayBatch,
  type ReplayConfig,
  type ReplayConfigInput,
  type ReplayCounters,
  type ReplayObservation,
} from './replay.js';
export { SumTree, MinTree } from './sum-tree.js';
export {
  constantSchedule,
  cosineSchedule,
  exponentialSchedule,
  linearSchedule,
  makeSchedule,
  type Schedule,
  type ScheduleKind,
} from './schedules.js';
export { betaSchedule, createAdam, epsilonSchedule, getLearningRate, learningRateSchedule, setLearningRate } from './optimizer.js';
export {
  tdTargets,
  selectQ,
  maxNextQ,
  doubleNextQ,
  hardUpdate,
  polyakUpdate,
  shiftLaggedTargets,
  maybeUpdateTarget,
  type WeightVariable,
} from './targets.js';
export { huberLoss, mseLoss, logLoss, tdLoss, globalNorm, clipByGlobalNorm, type LossKind } from './losses.js';
export { learnerStep, NonFiniteLossError, type LearnerStepConfig, type LearnerStepResult, type PenalizedPrediction } from './learner.js';
export { epsilonGreedy, argmax, uniformAction, gaussianNoise, epsilonUniform } from './explore.js';
export { QAccuracy, discountedReturn, type QAccuracySummary } from './diagnostics.js';
export { metricsLine, parseMetrics, type MetricValue, type MetricsRow } from './metrics.js';
export { summarize, formatSummary, seedRange, runSeeds, type SeedSummary } from './seeds.js';
export * from './tabular/index.js';
export * from './cartpole/index.js';
export * from './dqn/index.js';
