/**
 * Grasp datasets in the LeRobot v2.1 layout: write episodes crash-safely,
 * collect them with K collector processes, validate, and read them back.
 *
 *   const w = DatasetWriter.create(dir, spec, source);   // or DatasetWriter.resume(dir)
 *   w.append(prepareEpisode(record)); w.close();         // episode files in index order
 *   const r = DatasetReader.open(dir, { imageWidth: 64, imageHeight: 64 });  // DatasetError if not
 *   for await (const t of r.transitions()) ...           // one episode file in memory at a time
 *   await fillReplay(r, replayBuffer);                   // offline training (src/rl ReplayBuffer)
 *   addEpisode(replayBuffer, runEpisode(env, policy, seed).record);   // online: the same transitions
 *   const report = await validateDataset(dir);           // { ok, errors: one line per bad file }
 *   await collect({ dir, episodes, seed, workers, policy: 'scripted+eps:0.2', scene, ... });
 *
 * Layout: meta/{info.json, episodes.jsonl, tasks.jsonl, episodes_stats.jsonl, stats.json},
 * data/chunk-NNN/episode_NNNNNN.parquet, plus meta/pincer.json (spec and collect
 * settings, checked on resume) and meta/writer.lock while a writer is open. Each
 * parquet file also carries its own episodes.jsonl entry and stats, so meta/ can be
 * rebuilt from the data files after a crash (DatasetReader.open, validate and resume do).
 * State and reward are stored as float32, as LeRobot does.
 */
export { DatasetError } from './errors.js';
export {
  DEFAULT_CAMERA,
  DEFAULT_TASK,
  ROBOT_TYPE,
  datasetFeatures,
  huggingfaceMetadata,
  imageKey,
  type DatasetSpec,
  type FeatureInfo,
} from './features.js';
export { CODEBASE_VERSION, CHUNKS_SIZE, episodePath, type DatasetInfo } from './layout.js';
export { prepareEpisode, decodePng, type EpisodeEntry, type PreparedEpisode } from './episode.js';
export { type FeatureStats, type EpisodeStats } from './stats.js';
export { isDataset, readHeader, sizeOnDisk, type DatasetHeader } from './store.js';
export { DatasetWriter, SUMMARY_EVERY } from './writer.js';
export { DatasetReader, type ReadExpect, type Transition } from './reader.js';
export { validateDataset, type ValidationReport } from './validate.js';
export { parsePolicySpec, buildPolicy, PolicySpecError, type PolicySpec } from './policy-spec.js';
export { collect, specForScene, type CollectOptions, type CollectProgress, type CollectResult } from './collect.js';
export { summarizeDataset, contactSheet, type DatasetSummary } from './summary.js';
export { addEpisode, fillReplay, replayShapeOf, toReplayObservation } from './replay.js';
