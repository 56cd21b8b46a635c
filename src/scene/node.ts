/** Scenes in Node: everything in index.ts, plus `loadScene(path)` for scene JSON files. */
export * from './index.js';
export { loadScene } from './file.js';
