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

  it('lays objects on the floor on a broad face, apart or stacked with bounding spheres apart, deterministically', () => {
    const specs = Array.from({ length: 12 }, (_, i) => boxSpec(0.02 + 0.008 * i, 0.03, 0.04));
    const poses = dropPoses(specs, scene, new Rng(5));
    expect(dropPoses(specs, scene, new Rng(5))).toEqual(poses);
    const half = (scene.bin.size[0] / 2) * scene.objects.dropArea;
    // World x, y, z of every vertex of object i at its pose.
    const worldVertices = (i: number): Vec3[] => {
      const [qx, qy, qz, qw] = poses[i].quaternion;
      const v = specs[i].parts[0].vertices;
      const out: Vec3[] = [];
      for (let k = 0; k < v.length; k += 3) {
        const [x, y, z] = [v[k], v[k + 1], v[k + 2]];
        // v + 2w(q×v) + 2q×(q×v)
        const t = [2 * (qy * z - qz * y), 2 * (qz * x - qx * z), 2 * (qx * y - qy * x)];
        out.push([
          x + qw * t[0] + qy * t[2] - qz * t[1] + poses[i].position[0],
          y + qw * t[1] + qz * t[0] - qx * t[2] + poses[i].position[1],
          z + qw * t[2] + qx * t[1] - qy * t[0] + poses[i].position[2],
        ]);
      }
      return out;
    };
    const footprint = (i: number): number => Math.max(...worldVertices(i).map((w) => Math.hypot(w[0] - poses[i].position[0], w[1] - poses[i].position[1])));
    let onFloor = 0;
    poses.forEach((p, i) => {
      expect(Math.abs(p.position[0])).toBeLessThanOrEqual(half);
      const low = lowestPoint(specs[i], p);
      expect(low).toBeGreaterThan(0);
      // A face down: four vertices at the lowest height.
      expect(worldVertices(i).filter((w) => w[2] < low + 1e-6).length).toBe(4);
      // Broad faces only: the centre at most 1.2x as high as when lying on the broadest face.
      const halves = [0, 1, 2].map((k) => Math.max(...Array.from(specs[i].parts[0].vertices).filter((_, n) => n % 3 === k)));
      expect(p.position[2] - low).toBeLessThanOrEqual(1.2 * Math.min(...halves) + 1e-6);
      if (low < 0.003) onFloor++;
      for (let j = 0; j < i; j++) {
        const dxy = Math.hypot(p.position[0] - poses[j].position[0], p.position[1] - poses[j].position[1]);
        const d = Math.hypot(...p.position.map((v, k) => v - poses[j].position[k]));
        expect(dxy >= footprint(i) + footprint(j) || d > objectRadius(specs[i]) + objectRadius(specs[j])).toBe(true);
      }
    });
    // The first objects find free floor; only a crowded bin stacks.
    expect(onFloor).toBeGreaterThanOrEqual(5);
  });
});
