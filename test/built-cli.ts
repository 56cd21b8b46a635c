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

/** Run the built CLI to completion. */
export function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [join(repo, 'bin/pincer.js'), ...args], { cwd: repo, encoding: 'utf8', env: { ...process.env, ...env } });
}
