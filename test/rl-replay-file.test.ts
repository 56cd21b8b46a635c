import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../src/random/index.js';
import { loadReplay, ReplayBuffer, resolveReplayConfig, saveReplay } from '../src/rl/node.js';

const dir = mkdtempSync(join(tmpdir(), 'pincer-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A prioritized, n-step, image + vector buffer that has wrapped around, with some priorities updated. */
function filled(pageBytes?: number): ReplayBuffer {
  const buf = new ReplayBuffer(
    resolveReplayConfig({
      capacity: 50,
      imageShape: [4, 4, 3],
      vectorDim: 2,
      action: { kind: 'continuous', dim: 3 },
      gamma: 0.9,
      nStep: 3,
      prioritized: true,
      priorityAlpha: 0.6,
      priorityEpsilon: 1e-6,
    }),
    pageBytes,
  );
  const rng = new Rng(5);
  const obs = () => ({ image: Uint8Array.from({ length: 48 }, () => rng.int(0, 255)), vector: [rng.normal(), rng.normal()] });
  for (let e = 0; e < 12; e++) {
    const len = 1 + (e % 6);
    for (let t = 0; t < len; t++) {
      const last = t === len - 1;
      buf.add(obs(), [rng.uniform(), rng.uniform(), rng.uniform()], rng.uniform(), last && e % 2 === 0, last && e % 2 === 1, last ? obs() : undefined);
    }
  }
  const batch = buf.createBatch(8);
  buf.sample(rng, batch);
  buf.updatePriorities(batch.indices, Array.from(batch.rewards, (r) => 3 * r));
  return buf;
}

describe('replay save and load', () => {
  it.each([
    ['one image page', undefined],
    ['image pages of 7 frames', 7 * 48],
  ])('round-trips every byte, the counters, and the sampling (%s)', (_, pageBytes) => {
    const a = filled(pageBytes);
    const path = join(dir, 'replay.bin');
    saveReplay(a, path);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]); // the temp file was renamed
    const b = loadReplay(path);
    expect(b.config).toEqual(a.config);
    expect(b.pageBytes).toBe(a.pageBytes);
    expect(b.getCounters()).toEqual(a.getCounters());
    const sa = a.sections();
    const sb = b.sections();
    expect(sb.length).toBe(sa.length);
    sa.forEach((s, i) => expect(Buffer.from(sb[i]).equals(Buffer.from(s))).toBe(true));
    const ba = a.createBatch(16);
    const bb = b.createBatch(16);
    a.sample(new Rng(9), ba, 0.5);
    b.sample(new Rng(9), bb, 0.5);
    expect(bb).toEqual(ba);
  });

  it('refuses corrupt, truncated, foreign and missing files, naming the file', () => {
    const good = join(dir, 'good.bin');
    saveReplay(filled(), good);
    const bytes = readFileSync(good);

    const flipped = join(dir, 'flipped.bin');
    const copy = Buffer.from(bytes);
    copy[copy.length - 100] ^= 0xff; // a payload byte: only the checksum can tell
    writeFileSync(flipped, copy);
    expect(() => loadReplay(flipped)).toThrow(`${flipped}: checksum mismatch`);

    const short = join(dir, 'short.bin');
    writeFileSync(short, bytes);
    truncateSync(short, bytes.length - 10);
    expect(() => loadReplay(short)).toThrow(new RegExp(`^${short}: truncated`));

    const foreign = join(dir, 'foreign.bin');
    writeFileSync(foreign, Buffer.from('hello, this is not a replay buffer at all'));
    expect(() => loadReplay(foreign)).toThrow(`${foreign}: not a pincer replay file`);

    const missing = join(dir, 'missing.bin');
    expect(() => loadReplay(missing)).toThrow(`${missing}: replay file not found`);
    expect(existsSync(missing)).toBe(false);
  });
});
