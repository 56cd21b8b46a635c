/**
 * Rendering in Node: everything in index.ts, plus `createNodeRenderer` (a
 * headless `gl` WebGL2 context, starting Xvfb when needed) and PNG encoding.
 */
export * from './index.js';
export { createNodeRenderer } from './headless.js';
export { ensureDisplay, DisplayError } from './display.js';
export { encodePng } from './png.js';
