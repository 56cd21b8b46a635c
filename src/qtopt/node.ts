/** QT-Opt in Node: everything in index.ts, plus checkpoint folders on disk (save, load, resume). */
export * from './index.js';
export { saveCheckpoint, loadCheckpoint, restoreLearner, readCheckpointNetwork, encodeCheckpoint, configHash, type SaveOptions } from './checkpoint.js';
