/**
 * Tests that run compiled code (CLI child processes, worker threads) need dist/
 * newer than the sources they exercise; `npm test` builds first, a direct
 * vitest run may not have.
 */
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

/** Rebuild dist/ unless `builtFile` (repo-relative) is newer than every file under `sourceDirs`. */
export function ensureBuilt(builtFile: string, sourceDirs: string[]): void {
  const built = join(repo, builtFile);
  const newest = Math.max(...sourceDirs.map((d) => newestMtime(join(repo, d))));
  if (!existsSync(built) || newest > statSync(built).mtimeMs) {
    spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: repo, stdio: 'ignore' });
  }
}
