import { describe, expect, it } from 'vitest';
import type { ObjectSpec } from '../src/objects/index.js';
import { Rng } from '../src/random/index.js';
import { baseAppearance, randomAppearance } from '../src/render/index.js';
import { defaultScene } from '../src/scene/index.js';

const objects = [0.2, 0.5, 0.9].map(
  (c, i): ObjectSpec => ({ id: `o${i}`, kind: 'box', split: 'train', parts: [], mass: 0.1, friction: 0.8, color: [c, 1 - c, 0.5] }),
);

describe('per-episode appearance', () => {
  it('is the configured scene when every jitter is zero', () => {
    const scene = defaultScene();
    expect(randomAppearance(scene, objects, new Rng(5))).toEqual(baseAppearance(scene, objects));
  });

  it('jitters the camera with the configured std, m', () => {
    const scene = defaultScene({ randomize: { cameraPosition: 0.05 } });
    const rng = new Rng(1);
    const n = 4000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const dx = randomAppearance(scene, objects, rng).camera.position[0] - scene.camera.position[0];
      sum += dx;
      sumSq += dx * dx;
    }
    const std = Math.sqrt(sumSq / n - (sum / n) ** 2);
    // Standard error of a std estimate is about std/sqrt(2n) ≈ 0.0006.
    expect(Math.abs(std - 0.05)).toBeLessThan(0.003);
    expect(Math.abs(sum / n)).toBeLessThan(0.003);
  });

  it('keeps colours in [0, 1] and light intensities within 1 ± L/2 of the base', () => {
    const scene = defaultScene({ randomize: { lighting: 1, colors: 1 } });
    const base = baseAppearance(scene, objects);
    const rng = new Rng(2);
    for (let i = 0; i < 500; i++) {
      const a = randomAppearance(scene, objects, rng);
      for (const c of [a.floorColor, a.wallColor, a.tableColor, ...a.objectColors]) for (const x of c) expect(x >= 0 && x <= 1).toBe(true);
      expect(a.keyIntensity / base.keyIntensity).toBeGreaterThanOrEqual(0.5);
      expect(a.keyIntensity / base.keyIntensity).toBeLessThanOrEqual(1.5);
      expect(Math.hypot(...a.keyDirection)).toBeCloseTo(1, 12);
      expect(a.keyDirection[2]).toBeGreaterThan(0);
    }
  });

  it('is deterministic per seed, and one jitter does not change what another draws', () => {
    const camOnly = defaultScene({ randomize: { cameraPosition: 0.02 } });
    const camAndColours = defaultScene({ randomize: { cameraPosition: 0.02, colors: 0.5 } });
    const a = randomAppearance(camOnly, objects, new Rng(9));
    expect(randomAppearance(camOnly, objects, new Rng(9))).toEqual(a);
    const b = randomAppearance(camAndColours, objects, new Rng(9));
    expect(b.camera).toEqual(a.camera);
    expect(b.objectColors).not.toEqual(a.objectColors);
  });
});
