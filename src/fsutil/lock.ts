/**
 * A lock file holding its owner's pid, taken atomically: the pid is written to
 * a private temp file first, which is then hard-linked to the lock's name.
 * link(2) fails when the name exists, so it is an exclusive create (like
 * open 'wx') whose file never appears without its pid in it; readers never see
 * an empty lock.
 *
 * A lock whose pid is no longer running is stale (its owner was killed) and is
 * broken. Breaking is serialised by a second exclusive file (`<lock>.break`):
 * the breaker re-reads the lock under it and removes it only if it still names
 * the dead pid, so two processes that both saw the same stale lock cannot
 * remove each other's fresh one. A `.break` file older than BREAK_STALE_MS
 * (its breaker was killed in the microseconds it holds it) is removed.
 *
 * Limits: a dead owner's pid reused by an unrelated live process keeps the lock
 * held (the error names the pid, so a user can remove the file); the lock is
 * for processes on one machine, on filesystems with hard links.
 */
import { linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { TEMP_INFIX } from './atomic.js';

export type LockResult =
  | { acquired: true; release: () => void }
  /** `holder` is the live process holding the lock (possibly this one). */
  | { acquired: false; holder: number };

/** Rounds of "try to create, else break a stale lock" before reporting the lock as held. */
const ATTEMPTS = 50;
/** Pause between rounds while another process is breaking a stale lock, ms. */
const RETRY_MS = 5;
/** Age after which a `.break` file is taken to be left by a killed breaker, ms. */
const BREAK_STALE_MS = 10_000;

const pause = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number): void => void Atomics.wait(pause, 0, 0, ms);

/** Take the lock at `path`, or learn which live process holds it. Never blocks for long (~ATTEMPTS × RETRY_MS at most). */
export function tryLockFile(path: string): LockResult {
  mkdirSync(dirname(path), { recursive: true });
  const mine = `${path}${TEMP_INFIX}${process.pid}`;
  writeFileSync(mine, `${process.pid}\n`);
  try {
    let holder: number | null | undefined;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (exclusiveLink(mine, path)) return { acquired: true, release: () => releaseLock(path) };
      holder = readPid(path);
      if (holder === undefined) continue; // released between our link and our read
      if (holder !== null && processAlive(holder)) return { acquired: false, holder };
      if (!breakStaleLock(path, holder, mine)) sleep(RETRY_MS);
    }
    // Still contended: report whoever holds it now.
    return { acquired: false, holder: holder ?? 0 };
  } finally {
    rmSync(mine, { force: true });
  }
}

/** The live process holding the lock at `path` (possibly this one), or null when it is free or stale. */
export function lockHolder(path: string): number | null {
  const pid = readPid(path);
  return pid !== undefined && pid !== null && processAlive(pid) ? pid : null;
}

/** link(2) `from` to `to`; false when `to` exists. */
function exclusiveLink(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** Remove the lock if it still names `stalePid`, under the `.break` guard. False when another process holds the guard. */
function breakStaleLock(path: string, stalePid: number | null, mine: string): boolean {
  const guard = `${path}.break`;
  if (!exclusiveLink(mine, guard)) {
    try {
      if (Date.now() - statSync(guard).mtimeMs > BREAK_STALE_MS) rmSync(guard, { force: true });
    } catch {
      // The guard went away meanwhile: fine, try again.
    }
    return false;
  }
  try {
    if (readPid(path) === stalePid) rmSync(path, { force: true });
  } finally {
    rmSync(guard, { force: true });
  }
  return true;
}

/** Remove the lock if this process still owns it (after a takeover by another process, it does not). */
function releaseLock(path: string): void {
  if (readPid(path) === process.pid) rmSync(path, { force: true });
}

/** The pid in a lock file: undefined when there is no file, null when its content is not a pid. */
function readPid(path: string): number | null | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
