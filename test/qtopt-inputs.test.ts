import * as tf from '@tensorflow/tfjs';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { actionsTensor, ignoredActionDims, shiftImages } from '../src/qtopt/inputs.js';
import { Rng } from '../src/random/index.js';
import { cameraClipRows } from '../src/render/index.js';
import { resolveQtOptConfig } from '../src/qtopt/config.js';
import { buildRunConfig } from '../src/qtopt/train.js';
import { readConfigFile } from '../src/qtopt/config-file.js';
import { loadScene } from '../src/scene/node.js';
import { initBackend } from '../src/tf/node.js';

beforeAll(async () => {
  await initBackend();
});

describe('actionsTensor', () => {
  it('gives the network the action the env executes: close and terminate as ±1, ignored dims as 0', () => {
    const actions = Float32Array.of(0.3, -0.2, -0.7, 0.1, 0.01, -0.4, /**/ -1, 1, 0.4, -0.5, -0.99, 0.8);
    const x = actionsTensor(actions, 2, ignoredActionDims(['dz']));
    expect(x.shape).toEqual([2, 6]);
    expect(Array.from(x.dataSync())).toEqual(Array.from(Float32Array.of(0.3, -0.2, 0, 0.1, 1, -1, -1, 1, 0, -0.5, -1, 1)));
    x.dispose();
    expect(Array.from(actions.subarray(0, 6))).toEqual(Array.from(Float32Array.of(0.3, -0.2, -0.7, 0.1, 0.01, -0.4))); // the caller's array is untouched
    const kept = actionsTensor(actions, 1, []);
    expect(kept.dataSync()[2]).toBeCloseTo(-0.7, 6);
    kept.dispose();
  });

  it('refuses too few values, and an unknown action name in the config', () => {
    expect(() => actionsTensor(new Float32Array(5), 1, [])).toThrow(/fewer than 1×6/);
    expect(() => resolveQtOptConfig({ network: { ignoredActions: ['height'] } }, 'c.json')).toThrow(/c\.json: network\.ignoredActions/);
  });

  it('pincer train ignores dz under the height hack only, unless the config file says otherwise', () => {
    const easy = loadScene('scenes/bin-easy.json');
    const full = loadScene('scenes/bin.json');
    expect(buildRunConfig({ file: {}, source: 'c.json', scene: easy }).qtopt.network.ignoredActions).toEqual(['dz', 'close', 'terminate']);
    expect(buildRunConfig({ file: {}, source: 'c.json', scene: full }).qtopt.network.ignoredActions).toEqual([]);
    expect(buildRunConfig({ file: { network: { ignoredActions: [] } }, source: 'c.json', scene: easy }).qtopt.network.ignoredActions).toEqual([]);
  });

  it('pincer train fills a lookup from the scene (camera, move, position unit, every layer, yaw per dyaw), and keeps what the file sets', () => {
    const full = loadScene('scenes/bin.json');
    const near = { ...full, camera: { ...full.camera, position: [0, -0.4, 0.5] as [number, number, number] }, action: { ...full.action, maxTranslationXY: 0.03 } };
    const lookup = (scene: typeof full, given: Record<string, unknown> = {}) =>
      buildRunConfig({ file: { network: { stateDim: 6, lookup: given } }, source: 'c.json', scene }).qtopt.network.lookup!;
    const filled = lookup(full);
    expect(filled).toEqual({ channels: 8, layers: [0, 1, 2], camera: cameraClipRows(full.camera), moveScale: 0.05, positionUnit: 0.1, points: [], yawScale: null });
    // Grasp points turn with the palm: the scene's yaw per unit of dyaw is filled in only for them.
    expect(lookup(full, { points: [[0.03, 0]] })).toMatchObject({ points: [[0.03, 0]], yawScale: full.action.maxYaw });
    expect(lookup(full, { points: [[0.03, 0]], yawScale: 0.2 }).yawScale).toBe(0.2);
    expect(lookup(near).camera).toEqual(cameraClipRows(near.camera));
    expect(lookup(near).camera).not.toEqual(filled.camera);
    expect(lookup(near).moveScale).toBe(0.03);
    expect(lookup(full, { layers: [2], moveScale: 0.04 })).toMatchObject({ layers: [2], moveScale: 0.04 });
    expect(buildRunConfig({ file: {}, source: 'c.json', scene: full }).qtopt.network.lookup).toBeUndefined();
  });
});

describe('the shipped config files', () => {
  // The README and scripts/train-default.sh name these files: a key renamed in the schema must not leave one unusable.
  it.each(readdirSync('configs').filter((f) => f.endsWith('.json')))('configs/%s resolves against its scene', (name) => {
    const scene = loadScene(name.startsWith('bin-easy') ? 'scenes/bin-easy.json' : 'scenes/bin.json');
    const file = readConfigFile(join('configs', name));
    expect(() => buildRunConfig({ file, source: name, scene })).not.toThrow();
  });
});

describe('shiftImages (random-shift augmentation)', () => {
  it('moves each frame by its own whole-pixel offset within the pad, edges replicated; pad 0 copies', () => {
    const [b, h, w, c] = [6, 8, 8, 3];
    const rng = new Rng(3);
    const frames = Uint8Array.from({ length: b * h * w * c }, () => rng.int(0, 255));
    expect(Array.from(shiftImages(frames, b, h, w, c, 0, new Rng(1)))).toEqual(Array.from(frames));
    const out = shiftImages(frames, b, h, w, c, 2, new Rng(1));
    const size = h * w * c;
    const at = (img: Uint8Array, i: number, y: number, x: number, k: number) => img[i * size + (y * w + x) * c + k]!;
    const offsets = new Set<string>();
    for (let i = 0; i < b; i++) {
      // Exactly one offset in [-2, 2]² explains the output frame.
      const matches: string[] = [];
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) {
          let same = true;
          for (let y = 0; y < h && same; y++) {
            for (let x = 0; x < w && same; x++) {
              const sy = Math.min(h - 1, Math.max(0, y + dy));
              const sx = Math.min(w - 1, Math.max(0, x + dx));
              for (let k = 0; k < c; k++) if (at(out, i, y, x, k) !== at(frames, i, sy, sx, k)) same = false;
            }
          }
          if (same) matches.push(`${dx},${dy}`);
        }
      }
      expect(matches).toHaveLength(1);
      offsets.add(matches[0]!);
    }
    expect(offsets.size).toBeGreaterThan(1); // frames get their own offsets
    expect(Array.from(shiftImages(frames, b, h, w, c, 2, new Rng(1)))).toEqual(Array.from(out)); // seeded
  });
});
