/**
 * Backend selection for tfjs in the browser (the viewer page): WebGL when the
 * page gets a context, else the wasm backend, whose .wasm files the page's
 * server provides at `wasmPath` (a URL folder with a trailing slash).
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from './kernels.js';
import { registerLayerKernels } from './layers.js';

export type BrowserBackendName = 'webgl' | 'wasm';

/** Activate WebGL, or wasm as the fallback; resolves to the one in use. Throws when neither works. */
export async function initBrowserBackend(wasmPath: string): Promise<BrowserBackendName> {
  const failures: string[] = [];
  for (const name of ['webgl', 'wasm'] as const) {
    try {
      if (name === 'wasm') setWasmPaths(wasmPath);
      if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') failed`);
      await tf.ready();
      if (name === 'wasm') registerWasmKernels();
      registerLayerKernels();
      return name;
    } catch (err) {
      failures.push(`${name}: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
    }
  }
  throw new Error(`no tfjs backend in this browser (${failures.join('; ')})`);
}
