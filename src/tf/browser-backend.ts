/**
 * Backend selection for tfjs in the browser (the viewer page): WebGL when the
 * page gets a context, else the wasm backend, whose .wasm files the page's
 * server provides at `wasmPath` (a URL folder with a trailing slash). A caller
 * can ask for one of the two only (the page's `?backend=` parameter), so the
 * wasm path can be used, and tested, in a browser that has WebGL.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from './kernels.js';
import { registerLayerKernels } from './layers.js';

/** The browser backends, in the order tried when none is asked for. */
const BROWSER_BACKENDS = ['webgl', 'wasm'] as const;

export type BrowserBackendName = (typeof BROWSER_BACKENDS)[number];

/** `value` as a browser backend name; anything else is an error naming the choices. */
export function parseBrowserBackend(value: string): BrowserBackendName {
  if (!(BROWSER_BACKENDS as readonly string[]).includes(value)) {
    throw new Error(`backend=${value}: not a tfjs backend the page can use (${BROWSER_BACKENDS.join('|')})`);
  }
  return value as BrowserBackendName;
}

/**
 * Activate `only`, or without it WebGL and wasm as the fallback; resolves to
 * the one in use. Throws when none of those works (an asked-for backend never
 * falls back: the caller wanted that one).
 */
export async function initBrowserBackend(wasmPath: string, only?: BrowserBackendName): Promise<BrowserBackendName> {
  const failures: string[] = [];
  for (const name of only ? [only] : BROWSER_BACKENDS) {
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
  throw new Error(only ? `tfjs backend ${failures[0]}` : `no tfjs backend in this browser (${failures.join('; ')})`);
}
