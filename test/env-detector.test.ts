import { describe, expect, it } from 'vitest';
import { changedPixels, detectorVerdict, dilate, dropTest } from '../src/env/index.js';

const W = 8;
const H = 8;
const gray = (): Uint8Array => new Uint8Array(W * H * 3).fill(100);
function paint(img: Uint8Array, x: number, y: number, rgb: [number, number, number]): void {
  img.set(rgb, (y * W + x) * 3);
}

describe('drop-test image logic', () => {
  it('counts a pixel as changed when any channel moves past the threshold', () => {
    const a = gray();
    const b = gray();
    paint(b, 1, 1, [100, 100, 130]);
    paint(b, 2, 1, [110, 100, 100]);
    const m = changedPixels(a, b, 20);
    expect(m[1 * W + 1]).toBe(1);
    expect(m[1 * W + 2]).toBe(0);
  });

  it('dilates a single pixel into a 3x3 block, clipped at the border', () => {
    const m = new Uint8Array(W * H);
    m[0] = 1;
    const d = dilate(m, W, H, 1);
    expect(Array.from(d).reduce((s, v) => s + v, 0)).toBe(4);
  });

  it('sees an object that fell out of the fingers, and ignores the opening fingers', () => {
    const holding = gray();
    const released = gray();
    const gripperMask = new Uint8Array(W * H);
    // The fingers (masked) change a lot; the object leaves (3,3) and lands at (5,6).
    for (const x of [0, 1]) {
      gripperMask[x] = 1;
      paint(released, x, 0, [0, 0, 0]);
    }
    paint(holding, 3, 3, [200, 30, 30]);
    paint(released, 5, 6, [200, 30, 30]);
    const hit = dropTest({ holding, released, gripperMask, pixelThreshold: 24, pixelFraction: 2 / 62 });
    expect(hit.changedPixels).toBe(2);
    expect(hit.dropped).toBe(true);
    // Only the gripper moved: nothing dropped.
    const miss = dropTest({ holding: gray(), released, gripperMask, pixelThreshold: 24, pixelFraction: 2 / 62 });
    paint(released, 5, 6, [100, 100, 100]);
    const onlyGripper = dropTest({ holding: gray(), released, gripperMask, pixelThreshold: 24, pixelFraction: 1 / 64 });
    expect(miss.changedPixels).toBe(1);
    expect(onlyGripper.dropped).toBe(false);
  });

  it('fails when the fingers closed on nothing, whatever the images say', () => {
    const drop = { changedPixels: 50, changedFraction: 0.5, dropped: true };
    expect(detectorVerdict(0.001, 0.004, drop).success).toBe(false);
    expect(detectorVerdict(0.03, 0.004, drop).success).toBe(true);
    expect(detectorVerdict(0.03, 0.004, { ...drop, dropped: false }).success).toBe(false);
    expect(detectorVerdict(0.03, 0.004, null).success).toBe(false);
  });
});
