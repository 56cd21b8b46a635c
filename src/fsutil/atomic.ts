/**
 * Atomic file writes: the data goes to a temp file beside the target, which is
 * fsynced, renamed over the target, and then the folder is fsynced, so after a
 * crash or power cut a reader finds either the old file or the whole new one,
 * never half of one, and the rename itself is on disk.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Temp files carry this infix (`<name>.tmp-<pid>`), so an interrupted write can be recognised and swept. */
export const TEMP_INFIX = '.tmp-';

/** Write `data` to `path` atomically (see the file comment); creates the folder when missing. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  writeFileAtomicWith(path, (fd) => writeAll(fd, data));
}

/**
 * Write `data` to `path` and fsync it, without the rename: for files inside a
 * temp folder that is itself renamed into place (a checkpoint folder).
 */
export function writeFileSynced(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    writeAll(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

/**
 * Atomic write for content produced piece by piece (files too large for one
 * buffer): `write` gets the temp file's descriptor. If it throws, the temp file
 * is removed and `path` is untouched.
 */
export function writeFileAtomicWith(path: string, write: (fd: number) => void): void {
  const folder = dirname(path);
  mkdirSync(folder, { recursive: true });
  const tmp = `${path}${TEMP_INFIX}${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    write(fd);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  syncFolder(folder);
}

/** fsync a folder so a rename in it survives a power cut. */
export function syncFolder(folder: string): void {
  const fd = openSync(folder, 'r');
  try {
    fsyncSync(fd);
  } catch (err) {
    // Some platforms and filesystems (Windows, some network mounts) cannot fsync a folder; the file itself is synced.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'EISDIR' && code !== 'ENOTSUP') throw err;
  } finally {
    closeSync(fd);
  }
}
