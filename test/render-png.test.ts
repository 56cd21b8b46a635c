import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { inflateSync } from 'node:zlib';
import { encodePng } from '../src/render/node.js';
import { Rng } from '../src/random/index.js';

/** Pixels and header of a PNG, decoded by a third party (libvips checks every chunk CRC). */
async function decode(png: Buffer) {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { pixels: new Uint8Array(data), ...info };
}

describe('encodePng', () => {
  it('round-trips noise and flat images of odd sizes through an independent decoder', async () => {
    const rng = new Rng(7);
    for (const [w, h] of [[64, 64], [5, 3], [1, 1], [17, 40]]) {
      const noise = Uint8Array.from({ length: w * h * 3 }, () => rng.int(0, 255));
      const flat = new Uint8Array(w * h * 3).fill(200);
      for (const rgb of [noise, flat]) {
        const got = await decode(encodePng(rgb, w, h));
        expect([got.width, got.height, got.channels]).toEqual([w, h, 3]);
        expect(Buffer.from(got.pixels).equals(Buffer.from(rgb))).toBe(true);
      }
    }
  });

  it('writes 8-bit RGB with every row unfiltered, and valid chunk CRCs', async () => {
    const png = encodePng(new Uint8Array(4 * 2 * 3).fill(9), 4, 2);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.toString('latin1', 12, 16)).toBe('IHDR');
    expect([png.readUInt32BE(16), png.readUInt32BE(20), png[24], png[25]]).toEqual([4, 2, 8, 2]);
    const idatLength = png.readUInt32BE(33);
    expect(png.toString('latin1', 37, 41)).toBe('IDAT');
    const raw = inflateSync(png.subarray(41, 41 + idatLength));
    expect(raw.length).toBe(2 * (1 + 4 * 3));
    expect([raw[0], raw[13]]).toEqual([0, 0]);
    // The decoder checks CRCs: a flipped bit in IHDR's must be refused.
    const corrupt = Buffer.from(png);
    corrupt[29] ^= 1;
    await expect(decode(corrupt)).rejects.toThrow();
  });

  it('rejects a buffer of the wrong size', () => {
    expect(() => encodePng(new Uint8Array(10), 2, 2)).toThrow(/10 bytes is not 2×2×3/);
  });
});
