/**
 * Backend selection for tfjs in Node.
 *
 * Order: `@tensorflow/tfjs-node` when it loads (an optional dependency whose
 * install fails on many machines), else `@tensorflow/tfjs-backend-wasm`.
 * `PINCER_BACKEND=node|wasm|cpu` forces one; a bad value or a forced backend
 * that cannot load is a one-line BackendError, which the CLI shows as is. The
 * backend in use is reported through the caller's Logger, never on stderr here.
 * The wasm backend runs with SIMD and one thread: forcing multithreading in
 * Node made convolutions ~35x slower on this machine.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { silentLogger, type Logger } from '../log/index.js';
import { registerWasmKernels } from './kernels.js';
import { registerLayerKernels } from './layers.js';
import { registerNativeKernels } from './native.js';

export type BackendName = 'node' | 'wasm' | 'cpu';

const BACKEND_NAMES: readonly BackendName[] = ['node', 'wasm', 'cpu'];

/** tfjs's own name for each of pincer's backend names. */
const TF_NAME: Record<BackendName, string> = { node: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

/**
 * No tfjs backend can be used, or PINCER_BACKEND names none. One line; `usage`
 * marks a bad PINCER_BACKEND value (the user's input) as opposed to a backend
 * that failed to load; the CLI maps them to exit codes 2 and 1.
 */
export class BackendError extends Error {
  constructor(
    message: string,
    readonly usage = false,
  ) {
    super(message);
    this.name = 'BackendError';
  }
}

let ready: Promise<BackendName> | null = null;
/** Why the native conv kernels are not in use on wasm, or null when they are. */
let nativeOff: string | null = 'not initialised';

/** Whether this thread's wasm backend runs pincer's native conv kernels (after initBackend). */
export function nativeKernelsInUse(): boolean {
  return nativeOff === null && tf.getBackend() === 'wasm';
}

/**
 * Select and initialise the tfjs backend once per process; later calls return
 * the same promise (after a failure, the next call tries again). Resolves to
 * the pincer name of the backend in use, which the first call reports through
 * `logger`.
 */
export function initBackend(logger: Logger = silentLogger): Promise<BackendName> {
  ready ??= selectBackend().then(
    (name) => {
      logger.info(`tfjs backend ${name}${name === 'wasm' ? (nativeOff === null ? ' with native conv kernels' : ` (native conv kernels off: ${nativeOff})`) : ''}`);
      return name;
    },
    (err: unknown) => {
      ready = null;
      throw err;
    },
  );
  return ready;
}

/** The forced backend from `PINCER_BACKEND`, or null for automatic choice. */
export function forcedBackend(env: NodeJS.ProcessEnv = process.env): BackendName | null {
  const value = env.PINCER_BACKEND?.trim();
  if (!value) return null;
  if (!(BACKEND_NAMES as readonly string[]).includes(value)) {
    throw new BackendError(`PINCER_BACKEND must be one of ${BACKEND_NAMES.join('|')}, got '${value}'`, true);
  }
  return value as BackendName;
}

async function selectBackend(): Promise<BackendName> {
  const forced = forcedBackend();
  if (forced) {
    const error = await tryBackend(forced);
    if (error) throw new BackendError(`PINCER_BACKEND=${forced} cannot be used: ${error}`);
    return forced;
  }
  for (const name of ['node', 'wasm'] as const) {
    if ((await tryBackend(name)) === null) return name;
  }
  throw new BackendError('no tfjs backend could be initialised (tried node, wasm)');
}

/** Load and activate one backend; returns null on success, else why it failed. */
async function tryBackend(name: BackendName): Promise<string | null> {
  try {
    if (name === 'node') {
      // A variable specifier keeps TypeScript from requiring the optional package's types.
      const specifier = '@tensorflow/tfjs-node';
      await import(specifier);
    } else if (name === 'wasm') {
      setWasmPaths(wasmDistFolder());
      setThreadsCount(1);
    }
    if (!(await tf.setBackend(TF_NAME[name]))) return `tf.setBackend('${TF_NAME[name]}') failed`;
    await tf.ready();
    if (name === 'wasm') {
      registerWasmKernels();
      // Before registerLayerKernels, which captures FusedConv2D.
      nativeOff = registerNativeKernels();
    }
    registerLayerKernels();
    return null;
  } catch (err) {
    return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'unknown error';
  }
}

/** The folder holding the wasm backend's .wasm files, with a trailing slash as setWasmPaths expects. */
function wasmDistFolder(): string {
  const require = createRequire(import.meta.url);
  // The package's main entry lives in its dist folder next to the .wasm binaries.
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/');
}
