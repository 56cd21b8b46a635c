/**
 * Grasp datasets in the LeRobot v2.1 layout: write episodes crash-safely,
 * collect them with worker threads, validate, and read them back.
 *
 *   const w = DatasetWriter.create(dir, spec, source);   // or DatasetWriter.resume(dir)
 *   w.append(await prepareEpisode(record)); w.close();
 *   const r = DatasetReader.open(dir, { imageWidth: 64, imageHeight: 64 });
 *   for await (const t of r.transitions()) ...
 *   const report = await validateDataset(dir);
 */
export { DatasetError } from './errors.js';
export {
  DEFAULT_CAMERA,
  DEFAULT_TASK,
  ROBOT_TYPE,
  STATE_NAMES,
  datasetFeatures,
  huggingfaceMetadata,
  imageKey,
  type DatasetSpec,
  type FeatureInfo,
} from './features.js';
export { CODEBASE_VERSION, CHUNKS_SIZE, episodePath, type DatasetInfo } from './layout.js';
export { prepareEpisode, decodePng, encodePng, type EpisodeEntry, type PreparedEpisode } from './episode.js';
export { type FeatureStats, type EpisodeStats } from './stats.js';
export { isDataset, readHeader, sizeOnDisk, type DatasetHeader } from './store.js';
export { DatasetWriter } from './writer.js';
export { DatasetReader, type ReadExpect, type Transition } from './reader.js';
export { validateDataset, type ValidationReport } from './validate.js';
export { parsePolicySpec, buildPolicy, PolicySpecError, type PolicySpec } from './policy-spec.js';
export { collect, specForScene, type CollectOptions, type CollectProgress, type CollectResult } from './collect.js';
export { summarizeDataset, contactSheet, type DatasetSummary } from './summary.js';
export { fillReplay, replayShapeOf, toReplayObservation } from './replay.js';
