/**
 * The QT-Opt grasping agent (Kalashnikov et al. 2018), in tf_agents' pieces:
 * one config, the CEM sampler, the Bellman targets, the learner, the CEM policy
 * and checkpoints. The Q-network itself is src/tf's QNetwork; the replay, target
 * updates, losses and the shared learner step are src/rl's.
 *
 * Typical use (B batch; see each function's doc):
 *
 *   const config = resolveQtOptConfig(JSON.parse(text), 'run/config.json');   // ConfigError names a bad field
 *   const learner = new QtOptLearner(config, config.train.seed);           // ./node.ts: online net, target chain, Adam
 *   await learner.setThreads(config.train.learnerThreads);                 // 2: two threads per step
 *   const replay = new ReplayBuffer(qtoptReplayConfig(config));            // src/rl, images + state, γ, n-step
 *   const batch = replay.createBatch(config.replay.batchSize);
 *   replay.sample(rng, batch, beta);                                       // src/rl ReplayBuffer
 *   const stats = await learner.step(batch, gradientStep);                 // {loss, penalty, tdErrorMean, qMean, targetMean, gradNorm, lr, tdErrors}
 *   if (config.replay.prioritized) replay.updatePriorities(batch.indices, stats.tdErrors);
 *
 *   const policy = new CemPolicy(learner.acting, config, { epsilon, noiseStd }); // src/env's Policy
 *   runEpisode(env, policy, seed);                                         // policy.lastPrediction: Q of its last action
 *
 *   await saveCheckpoint('runs/a/checkpoints/step-002500', learner.acting,
 *     { step, envSteps, validationSuccess, libraryVersion, configHash: configHash(config) });
 *   const { net, meta } = loadCheckpoint(dir, config.network);             // CheckpointError names the file or fields
 *   // exact resume: saveCheckpoint(dir, learner.acting, meta, { learner }), then
 *   const meta = await restoreLearner(dir, learner);                       // online, target chain, Adam
 *
 * Conventions:
 * - Q = sigmoid(logit): the head returns logits, CEM and the targets score with Q.
 * - The replay's discounts carry γ^k and termination; the env's final grasp is terminal.
 * - ε counts env steps; the learning rate and target updates count gradient steps (from 1).
 * - checkpoint-format.ts decodes a checkpoint without fs (the browser's path);
 *   checkpoint.ts reads and writes folders (Node), exported from ./node.ts with the
 *   learner (it can own worker threads): this index is portable (the viewer page
 *   runs CemPolicy on a fetched checkpoint).
 */
export {
  QtOptConfigSchema,
  NetworkSchema,
  QTOPT_DEFAULTS,
  resolveQtOptConfig,
  sceneLookup,
  policyCem,
  qtoptReplayConfig,
  canonicalJson,
  configDifferences,
  type QtOptConfig,
  type QtOptConfigInput,
  type QtOptNetworkConfig,
} from './config.js';
export { cem, randomShooting, type ActionBox, type BatchScore, type CemConfig, type CemResult } from './cem.js';
export { bellmanTargets, type BellmanInputs, type BellmanNets, type BellmanSettings, type BellmanTargets, type QScorer } from './bellman.js';
export { CemPolicy, type CemPolicyOptions } from './policy.js';
export { actionsTensor, ignoredActionDims, imagesTensor, networkActions, scaledStates, shiftImages, statesTensor, stateInput, STATE_SCALE } from './inputs.js';
export {
  CheckpointError,
  decodeCheckpoint,
  CHECKPOINT_FORMAT,
  CHECKPOINT_FORMAT_VERSION,
  MODEL_FILE,
  WEIGHTS_FILE,
  META_FILE,
  type CheckpointMeta,
  type CheckpointModel,
} from './checkpoint-format.js';
