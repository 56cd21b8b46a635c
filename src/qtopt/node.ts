/** QT-Opt in Node: everything in index.ts, plus checkpoint folders on disk (save, load, resume) and the training pipeline (run folders, collector processes, evaluation envs). */
export * from './index.js';
// The learner can share its gradient steps with worker threads (src/rl DataParallelLearner): Node only.
export { QtOptLearner, DrawnBatches, UPDATER_DEPTH, type LearnStats } from './learner.js';
export { saveCheckpoint, loadCheckpoint, restoreLearner, readCheckpointNetwork, encodeCheckpoint, configHash, type SaveOptions } from './checkpoint.js';

// ---- The training pipeline: train.ts, link.ts, run.ts, evaluate.ts, trained-policy.ts, splits.ts ----
//   const config = buildRunConfig({ file, source, scene, seed, datasets, steps, collectors });
//   const result = await train({ out: 'runs/NAME', config, resume: false, onProgress });
//   const { policy } = loadTrainedPolicy('runs/NAME');            // best checkpoint on validation
//   const { episodes, policyMsPerStep } = runEvaluation(env, policy, { episodes: 200, seed: 1 });
//   summarizeEvaluation(episodes, policyMsPerStep);              // success, Wilson CI, failures, calibration, ...
export { train, buildRunConfig, type RunConfig, type RunConfigInput, type TrainOptions, type TrainProgress, type TrainResult } from './train.js';
export { openLink, weightsOf, applyWeights, Collector, CollectorError, type CollectorLink, type CollectedEpisode, type EpisodeRequest, type PolicyWeights, type LinkOptions } from './link.js';
export { RunDir, RunError, checkpointName } from './run.js';
export { runEvaluation, summarizeEvaluation, calibrationTable, CALIBRATION_BINS, type EvalEpisode, type EvalSummary, type CalibrationBin, type PredictingPolicy } from './evaluate.js';
export { loadTrainedPolicy, resolveCheckpoint, describeSearch, type TrainedPolicy, type PolicySearch, type LoadPolicyOptions } from './trained-policy.js';
export { TRAINING_SPLITS, createTrainingEnv, type TrainingSplit } from './splits.js';
export { readConfigFile, layConfig } from './config-file.js';
