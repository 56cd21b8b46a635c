/** Tests that run the CLI as a process (and its collector processes) need dist/; this keeps it current. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const repo = join(import.meta.dirname, '..');

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

/**
 * Rebuild dist/ when `built` (a file under dist/) is missing or older than
 * anything under `sources` (folders under src/). `npm test` builds first; this
 * covers a direct vitest run.
 */
export function ensureBuilt(built: string, sources: string[]): void {
  const path = join(repo, built);
  if (!existsSync(path) || sources.some((s) => newestMtime(join(repo, s)) > statSync(path).mtimeMs)) {
    spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: repo, stdio: 'ignore' });
  }
}

/** The built agent: dist/'s qtopt, rl and tf modules, as the learner's worker threads load them. */
export interface BuiltAgent {
  Q: typeof import('../src/qtopt/node.js');
  R: typeof import('../src/rl/node.js');
  T: typeof import('../src/tf/node.js');
}

/** Imports dist/'s qtopt, rl and tf (rebuilt first if src/ is newer): tests of worker threads need the built files. */
export async function importBuiltAgent(): Promise<BuiltAgent> {
  ensureBuilt('dist/qtopt/learner.js', ['src/qtopt', 'src/rl', 'src/tf']);
  return {
    Q: (await import(join(repo, 'dist/qtopt/node.js'))) as BuiltAgent['Q'],
    R: (await import(join(repo, 'dist/rl/node.js'))) as BuiltAgent['R'],
    T: (await import(join(repo, 'dist/tf/node.js'))) as BuiltAgent['T'],
  };
}

/** Run the built CLI to completion. */
export function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [join(repo, 'bin/pincer.js'), ...args], { cwd: repo, encoding: 'utf8', env: { ...process.env, ...env } });
}
