/**
 * The Q-learning core in Node: everything in index.ts, plus what needs files or
 * threads: replay files, the metrics.jsonl writer, CartPole seeds in worker threads and the
 * data-parallel learner (gradient shards in worker threads).
 */
export * from './index.js';
export { saveReplay, loadReplay, ReplayFileError } from './replay-file.js';
export { MetricsWriter } from './metrics-writer.js';
export { runCartPoleSeeds, type ParallelOptions } from './dqn/parallel.js';
export {
  DataParallelLearner,
  hostLearnerStep,
  flatWeights,
  assignFlatWeights,
  type HostBatch,
  type DataParallelConfig,
  type DataParallelResult,
  type StepPhases,
  type StepOptions,
} from './data-parallel.js';
