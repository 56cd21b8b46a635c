/**
 * File-system primitives every layer may use: atomic writes (temp file, fsync,
 * rename, fsync of the folder) and a pid lock file taken atomically. The
 * lowest layer: it imports only Node built-ins, so data, rl, qtopt and cli can
 * all share one implementation.
 *
 *   writeFileAtomic('runs/a/config.json', json);
 *   writeFileAtomicWith('replay.bin', (fd) => { for (const part of parts) writeSync(fd, part); });
 *   const lock = tryLockFile('data/x/meta/writer.lock');
 *   if (!lock.acquired) throw new Error(`held by process ${lock.holder}`);
 *   try { ... } finally { lock.release(); }
 */
export { syncFolder, TEMP_INFIX, writeFileAtomic, writeFileAtomicWith, writeFileSynced } from './atomic.js';
export { lockHolder, tryLockFile, type LockResult } from './lock.js';
