/**
 * tfjs backend selection reports through the caller's Logger and fails with a
 * typed BackendError, which the CLI shows as one line (src/tf never writes to
 * stderr or imports the CLI).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { commandLogger } from '../src/cli/io.js';
import { reportError } from '../src/cli/main.js';
import { BackendError, forcedBackend, initBackend } from '../src/tf/node.js';
import { runCli } from './cli-harness.js';

function recorder() {
  const lines: string[] = [];
  return { lines, logger: { info: (m: string) => lines.push(`info: ${m}`), warn: (m: string) => lines.push(`warn: ${m}`) } };
}

afterEach(() => {
  delete process.env.PINCER_BACKEND;
  vi.restoreAllMocks();
});

describe('backend errors', () => {
  it('a bad PINCER_BACKEND is a BackendError marked as the user\'s mistake', () => {
    let caught: unknown;
    try {
      forcedBackend({ PINCER_BACKEND: 'gpu' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(BackendError);
    expect((caught as BackendError).usage).toBe(true);
    expect((caught as Error).message).toBe("PINCER_BACKEND must be one of node|wasm|cpu, got 'gpu'");
  });

  it('the CLI shows it as one line with exit 2, and a backend that fails to load with exit 1', async () => {
    process.env.PINCER_BACKEND = 'gpu';
    const run = await runCli('bench', 'fqi', '--json');
    expect(run).toEqual({ code: 2, stdout: '', stderr: "pincer: PINCER_BACKEND must be one of node|wasm|cpu, got 'gpu'\n" });
    const writes: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (writes.push(chunk.toString()), true));
    expect(await reportError(new BackendError('no tfjs backend could be initialised (tried node, wasm)'))).toBe(1);
    expect(writes).toEqual(['pincer: no tfjs backend could be initialised (tried node, wasm)\n']);
  });
});

describe('initBackend', () => {
  it('after a failed attempt tries again, and reports the backend once through the logger, not on stderr', async () => {
    process.env.PINCER_BACKEND = 'gpu';
    await expect(initBackend()).rejects.toBeInstanceOf(BackendError);
    delete process.env.PINCER_BACKEND;
    const stderr = vi.spyOn(process.stderr, 'write');
    const first = recorder();
    expect(await initBackend(first.logger)).toBe('wasm');
    const second = recorder();
    expect(await initBackend(second.logger)).toBe('wasm');
    expect(first.lines).toEqual(['info: tfjs backend wasm with native conv kernels']);
    expect(second.lines).toEqual([]);
    expect(stderr).not.toHaveBeenCalled();
  });
});

describe('commandLogger', () => {
  it('prints info only with progress output on, and warnings always, on stderr', () => {
    const writes: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (writes.push(chunk.toString()), true));
    vi.spyOn(process.stdout, 'write').mockImplementation(() => {
      throw new Error('a logger must not write to stdout');
    });
    commandLogger({ json: true }).info('hidden');
    commandLogger({ progress: true }).info('shown');
    commandLogger({ json: true }).warn('careful');
    expect(writes).toEqual(['shown\n', 'pincer: warning: careful\n']);
  });
});
