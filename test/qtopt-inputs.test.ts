import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { actionsTensor, ignoredActionDims } from '../src/qtopt/inputs.js';
import { resolveQtOptConfig } from '../src/qtopt/config.js';
import { buildRunConfig } from '../src/qtopt/train.js';
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
    expect(buildRunConfig({ file: {}, source: 'c.json', scene: easy }).qtopt.network.ignoredActions).toEqual(['dz']);
    expect(buildRunConfig({ file: {}, source: 'c.json', scene: full }).qtopt.network.ignoredActions).toEqual([]);
    expect(buildRunConfig({ file: { network: { ignoredActions: [] } }, source: 'c.json', scene: easy }).qtopt.network.ignoredActions).toEqual([]);
  });
});
