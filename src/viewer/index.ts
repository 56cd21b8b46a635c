/**
 * The viewer, Node side: the page's bundler (esbuild, browser platform) and
 * its 127.0.0.1 server. The page itself (page/main.ts) is browser code built
 * from the same scene, objects, sim, render, env and policies code as Node;
 * nothing in Node imports it.
 */
export { bundlePage, BundleError, PAGE_BUILD, PAGE_SOURCE, type BundleResult } from './bundle.js';
export { startViewerServer, resolveInside, ViewerError, VIEWER_HOST, type ViewerServer, type ViewerServerOptions, type Resolved } from './server.js';
export type { ViewerConfig, DatasetEpisodeEntry, DatasetEpisodeFrames } from './protocol.js';
export { CHROMIUM_PATH, CHROMIUM_ARGS } from './chromium.js';
