/** tfjs in Node: everything in index.ts, plus `initBackend` (tfjs-node, else wasm from node_modules). */
export * from './index.js';
export { BackendError, initBackend, forcedBackend, nativeKernelsInUse, type BackendName } from './backend.js';
export { nativeCoreState, nativeVectorLanes, setNativeThreads, withClaimedCore, type NativeCoreState } from './native.js';
