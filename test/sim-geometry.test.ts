import { describe, expect, it } from 'vitest';
import { Rng } from '../src/random/index.js';
import { defaultScene } from '../src/scene/index.js';
import {
  clampToWorkspace,
  dropPoses,
  fingerCenterX,
  gripperGeometry,
  gripperWorkspace,
  lowestPoint,
  objectRadius,
  randomQuaternion,
  stepToward,
  type Vec3,
} from '../src/sim/index.js';
import { boxSpec } from './sim-shapes.js';

const scene = defaultScene();

describe('gripper geometry', () => {
  it('puts the pads at ±aperture/2 and the palm above the fingers', () => {
    const g = scene.gripper;
    const geo = gripperGeometry(g);
    const [l, r] = fingerCenterX(g, 0.05);
    // Inner faces: centre ∓ half thickness.
    expect(r - geo.fingerHalfExtents[0] - (l + geo.fingerHalfExtents[0])).toBeCloseTo(0.05, 12);
    expect(geo.fingerCenterZ - geo.fingerHalfExtents[2]).toBeCloseTo(0, 12); // fingertips at the frame origin
    expect(geo.palmCenterZ - geo.palmHalfExtents[2]).toBeCloseTo(g.fingerLength, 12); // palm sits on the fingers
    // The palm spans both fully open fingers.
    expect(geo.palmHalfExtents[0]).toBeCloseTo(fingerCenterX(g, g.maxAperture)[1] + geo.fingerHalfExtents[0], 12);
  });

  it('clamps into a workspace inside the bin that reaches the floor and the lift height', () => {
    const ws = gripperWorkspace(scene);
    expect(ws.max[0]).toBeCloseTo((scene.bin.size[0] / 2) * scene.gripper.workspace, 12);
    expect(ws.min[2]).toBeGreaterThan(0);
    expect(ws.max[2]).toBeGreaterThan(scene.gripper.liftHeight);
    expect(clampToWorkspace([1, -1, -1], ws)).toEqual([ws.max[0], ws.min[1], ws.min[2]]);
    expect(clampToWorkspace([0.01, 0.02, 0.1], ws)).toEqual([0.01, 0.02, 0.1]);
  });

  it('steps toward a target by at most maxStep along the straight line', () => {
    const p: Vec3 = [0, 0, 0];
    expect(stepToward(p, [3, 4, 0], 1)).toBe(false);
    expect(p[0]).toBeCloseTo(0.6, 12);
    expect(p[1]).toBeCloseTo(0.8, 12);
    expect(stepToward(p, [3, 4, 0], 10)).toBe(true);
    expect(p).toEqual([3, 4, 0]);
  });
});

describe('object geometry', () => {
  it('finds the lowest vertex of a rotated box', () => {
    const box = boxSpec(0.1, 0.04, 0.02);
    expect(objectRadius(box)).toBeCloseTo(Math.hypot(0.05, 0.02, 0.01), 6);
    expect(lowestPoint(box, { position: [0, 0, 0.5], quaternion: [0, 0, 0, 1] })).toBeCloseTo(0.49, 6);
    // 90° about y: the 10 cm side stands vertical.
    const s = Math.SQRT1_2;
    expect(lowestPoint(box, { position: [0, 0, 0.5], quaternion: [0, s, 0, s] })).toBeCloseTo(0.45, 6);
  });

  it('draws unit quaternions covering all orientations', () => {
    const rng = new Rng(3);
    let meanW = 0;
    for (let i = 0; i < 2000; i++) {
      const q = randomQuaternion(rng);
      expect(Math.hypot(...q)).toBeCloseTo(1, 9);
      meanW += Math.abs(q[3]) / 2000;
    }
    // Uniform on the unit 3-sphere: w has density ∝ √(1 − w²), so E|w| = (1/3) / (π/4) = 4 / (3π) ≈ 0.424.
    expect(meanW).toBeCloseTo(4 / (3 * Math.PI), 1);
  });

  it('drops objects in the drop area with bounding spheres apart, deterministically', () => {
    const specs = Array.from({ length: 12 }, (_, i) => boxSpec(0.02 + 0.008 * i, 0.03, 0.04));
    const poses = dropPoses(specs, scene, new Rng(5));
    expect(dropPoses(specs, scene, new Rng(5))).toEqual(poses);
    const half = (scene.bin.size[0] / 2) * scene.objects.dropArea;
    poses.forEach((p, i) => {
      expect(Math.abs(p.position[0])).toBeLessThanOrEqual(half);
      expect(lowestPoint(specs[i], p)).toBeGreaterThan(0);
      for (let j = 0; j < i; j++) {
        const d = Math.hypot(...p.position.map((v, k) => v - poses[j].position[k]));
        expect(d).toBeGreaterThan(objectRadius(specs[i]) + objectRadius(specs[j]));
      }
    });
  });
});
