import { describe, expect, it } from 'vitest';
import { actionSpace, decodeAction, heightHackZ, nextTarget, ACTION_DIM } from '../src/env/index.js';
import { defaultScene } from '../src/scene/index.js';

const scene = defaultScene();

describe('action mapping', () => {
  it('describes a 6-d box in [-1, 1]', () => {
    expect(actionSpace.shape).toEqual([ACTION_DIM]);
    expect(Array.from(actionSpace.low)).toEqual([-1, -1, -1, -1, -1, -1]);
    expect(actionSpace.names).toEqual(['dx', 'dy', 'dz', 'dyaw', 'close', 'terminate']);
  });

  it('scales by scene.action, clips beyond ±1, thresholds close and terminate at 0', () => {
    const a = decodeAction([0.5, -2, 1, -0.5, 0.01, 0], scene);
    expect(a.dx).toBeCloseTo(0.025);
    expect(a.dy).toBeCloseTo(-0.05);
    expect(a.dz).toBeCloseTo(0.05);
    expect(a.dyaw).toBeCloseTo(-Math.PI / 16);
    expect(a.close).toBe(true);
    expect(a.terminate).toBe(false);
  });

  it('rejects a wrong length or a NaN with a plain message', () => {
    expect(() => decodeAction([0, 0, 0], scene)).toThrow(/6 components/);
    expect(() => decodeAction([0, 0, NaN, 0, 0, 0], scene)).toThrow(/action\[2\] \(dz\)/);
  });

  it('clamps the target to the workspace and the height range', () => {
    const far = nextTarget({ x: 0.22, y: -0.22, z: 0.01, yaw: 3.1 }, decodeAction([1, -1, -1, 1, 0, 0], scene), scene, 0);
    expect(far.x).toBeCloseTo(0.225); // 0.25 half bin * 0.9 workspace
    expect(far.y).toBeCloseTo(-0.225);
    expect(far.z).toBe(scene.action.minHeight);
    expect(far.yaw).toBeCloseTo(Math.PI);
  });

  it('height hack ignores dz and reaches the bottom at the last step', () => {
    const hh = defaultScene({ episode: { heightHack: true, maxSteps: 8 } });
    const up = decodeAction([0, 0, 1, 0, 0, 0], hh);
    const t0 = nextTarget({ x: 0, y: 0, z: 0.25, yaw: 0 }, up, hh, 0);
    expect(t0.z).toBeLessThan(0.25);
    expect(heightHackZ(hh, 7)).toBe(hh.action.minHeight);
    expect(nextTarget(t0, up, hh, 7).z).toBe(hh.action.minHeight);
  });

  it('height hack ignores close and terminate too (pybullet has no gripper action there); without it they act', () => {
    const hh = defaultScene({ episode: { heightHack: true, maxSteps: 8 } });
    expect(decodeAction([0, 0, 0, 0, 1, 1], hh)).toMatchObject({ close: false, terminate: false });
    expect(decodeAction([0, 0, 0, 0, 1, 1], defaultScene())).toMatchObject({ close: true, terminate: true });
  });
});
