/**
 * Saving and loading a ReplayBuffer: a versioned binary file, written atomically.
 *
 * Layout (little-endian):
 *   magic "PNCRRPLY" [8] | version u32 | header length u32 | header JSON (utf-8)
 *   | sections in ReplayBuffer.sections() order | CRC-32 u32 of header JSON + sections
 * The header holds the replay config, the counters and each section's byte length,
 * so a truncated or mismatched file is refused before its bytes are trusted.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { z } from 'zod';
import { writeFileAtomicWith } from '../fsutil/index.js';
import { ReplayBuffer, resolveReplayConfig } from './replay.js';

const MAGIC = Buffer.from('PNCRRPLY', 'latin1');
const VERSION = 1;
const PREAMBLE = MAGIC.length + 8;
/** Bytes per read/write call; well under Node's 2 GiB per-call limit. */
const IO_CHUNK = 1 << 28;

/** A replay file that cannot be read; the message names the file. */
export class ReplayFileError extends Error {
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'ReplayFileError';
  }
}

const HeaderSchema = z.strictObject({
  config: z.unknown(),
  counters: z.strictObject({
    cursor: z.number().int().min(0),
    size: z.number().int().min(0),
    added: z.number().int().min(0),
    validCount: z.number().int().min(0),
    maxPriority: z.number().positive(),
  }),
  pageBytes: z.number().int().positive(),
  sectionBytes: z.array(z.number().int().min(0)),
});

function writeAll(fd: number, data: Uint8Array, crc: number): number {
  for (let off = 0; off < data.length; off += IO_CHUNK) {
    const piece = data.subarray(off, Math.min(off + IO_CHUNK, data.length));
    let done = 0;
    while (done < piece.length) done += writeSync(fd, piece, done);
    crc = crc32(piece, crc);
  }
  return crc;
}

/** Write the buffer to `path` atomically (fsutil), so a crash never leaves half a file under that name. */
export function saveReplay(buffer: ReplayBuffer, path: string): void {
  const sections = buffer.sections();
  const header = Buffer.from(
    JSON.stringify({
      config: buffer.config,
      counters: buffer.getCounters(),
      pageBytes: buffer.pageBytes,
      sectionBytes: sections.map((s) => s.length),
    }),
    'utf8',
  );
  const preamble = Buffer.alloc(PREAMBLE);
  MAGIC.copy(preamble, 0);
  preamble.writeUInt32LE(VERSION, MAGIC.length);
  preamble.writeUInt32LE(header.length, MAGIC.length + 4);
  writeFileAtomicWith(path, (fd) => {
    writeAll(fd, preamble, 0);
    let crc = writeAll(fd, header, 0);
    for (const s of sections) crc = writeAll(fd, s, crc);
    const tail = Buffer.alloc(4);
    tail.writeUInt32LE(crc >>> 0, 0);
    writeAll(fd, tail, 0);
  });
}

function readExact(fd: number, into: Uint8Array, position: number, path: string): void {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, Math.min(IO_CHUNK, into.length - done), position + done);
    if (n === 0) throw new ReplayFileError(path, 'truncated replay file');
    done += n;
  }
}

/** Read a buffer saved by `saveReplay`. A wrong magic, version, size or checksum is a ReplayFileError naming the file. */
export function loadReplay(path: string): ReplayBuffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ReplayFileError(path, code === 'ENOENT' ? 'replay file not found' : `cannot open replay file (${code})`);
  }
  try {
    const fileSize = fstatSync(fd).size;
    if (fileSize < PREAMBLE + 4) throw new ReplayFileError(path, 'truncated replay file');
    const preamble = Buffer.alloc(PREAMBLE);
    readExact(fd, preamble, 0, path);
    if (!preamble.subarray(0, MAGIC.length).equals(MAGIC)) throw new ReplayFileError(path, 'not a pincer replay file');
    const version = preamble.readUInt32LE(MAGIC.length);
    if (version !== VERSION) throw new ReplayFileError(path, `replay file version ${version}, this build reads ${VERSION}`);
    const headerLength = preamble.readUInt32LE(MAGIC.length + 4);
    if (PREAMBLE + headerLength + 4 > fileSize) throw new ReplayFileError(path, 'truncated replay file');
    const headerBytes = Buffer.alloc(headerLength);
    readExact(fd, headerBytes, PREAMBLE, path);
    let header: z.output<typeof HeaderSchema>;
    try {
      header = HeaderSchema.parse(JSON.parse(headerBytes.toString('utf8')));
    } catch {
      throw new ReplayFileError(path, 'corrupt replay header');
    }
    let buffer: ReplayBuffer;
    try {
      buffer = new ReplayBuffer(resolveReplayConfig(header.config), header.pageBytes);
    } catch (err) {
      throw new ReplayFileError(path, `bad replay config in header (${(err as Error).message})`);
    }
    const sections = buffer.sections();
    const expected = sections.map((s) => s.length);
    if (expected.length !== header.sectionBytes.length || expected.some((n, i) => n !== header.sectionBytes[i])) {
      throw new ReplayFileError(path, 'section sizes do not match the replay config');
    }
    const payload = expected.reduce((a, b) => a + b, 0);
    if (fileSize !== PREAMBLE + headerLength + payload + 4) {
      throw new ReplayFileError(path, `truncated or padded replay file (${fileSize} bytes, expected ${PREAMBLE + headerLength + payload + 4})`);
    }
    let crc = crc32(headerBytes, 0);
    let position = PREAMBLE + headerLength;
    for (const s of sections) {
      readExact(fd, s, position, path);
      for (let off = 0; off < s.length; off += IO_CHUNK) crc = crc32(s.subarray(off, Math.min(off + IO_CHUNK, s.length)), crc);
      position += s.length;
    }
    const tail = Buffer.alloc(4);
    readExact(fd, tail, position, path);
    if (tail.readUInt32LE(0) !== crc >>> 0) throw new ReplayFileError(path, 'checksum mismatch (corrupt replay file)');
    const c = header.counters;
    const cap = buffer.config.capacity;
    if (c.cursor >= cap || c.size > cap || c.validCount > c.size) throw new ReplayFileError(path, 'corrupt replay counters');
    buffer.restore(c);
    return buffer;
  } finally {
    closeSync(fd);
  }
}
