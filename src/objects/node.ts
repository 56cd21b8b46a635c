/**
 * Objects in Node: everything in index.ts, plus external objects read from disk:
 *
 *   loadObjectDir('assets/objects')     external objects; ObjectImportError names the bad file
 */
export * from './index.js';
export { loadObjectDir, loadObjectFile, DEFAULT_DENSITY } from './import.js';
