/**
 * The scripted grasper's planning, with known answers: where to close on a lone
 * cube, and which way to turn when a wall or a neighbour blocks one direction.
 */
import { describe, expect, it } from 'vitest';
import type { PrivilegedState } from '../src/env/index.js';
import { convexHull, type ObjectSpec } from '../src/objects/index.js';
import { nearestEquivalentYaw, planGrasp } from '../src/policies/index.js';
import { defaultScene } from '../src/scene/index.js';
import type { BodyPose } from '../src/sim/index.js';

const scene = defaultScene();

/** An axis-aligned box of size sx × sy × sz, m. */
function box(id: string, sx: number, sy: number, sz: number): ObjectSpec {
  const pts: number[] = [];
  for (const x of [-sx / 2, sx / 2]) for (const y of [-sy / 2, sy / 2]) for (const z of [-sz / 2, sz / 2]) pts.push(x, y, z);
  return { id, kind: 'box', split: 'external', parts: [convexHull(pts)], mass: 0.05, friction: 1, color: [1, 0, 0] };
}
const at = (x: number, y: number, z: number): BodyPose => ({ position: [x, y, z], quaternion: [0, 0, 0, 1] });
function state(objects: ObjectSpec[], poses: BodyPose[]): PrivilegedState {
  return { objects, snapshot: { objects: poses, gripper: { position: [0, 0, 0.25], yaw: 0, aperture: scene.gripper.maxAperture } } };
}
/** Yaw folded into [0, π): the closing direction. */
const axis = (yaw: number): number => ((yaw % Math.PI) + Math.PI) % Math.PI;

describe('scripted grasp planning', () => {
  it('closes across the narrow side of a lone bar, low on it, centred', () => {
    const plan = planGrasp(state([box('bar', 0.03, 0.1, 0.04)], [at(0.05, -0.02, 0.02)]), scene)!;
    expect(plan.x).toBeCloseTo(0.05, 6);
    expect(plan.y).toBeCloseTo(-0.02, 6);
    expect(plan.width).toBeCloseTo(0.03, 6);
    expect(axis(plan.yaw)).toBeCloseTo(0, 6); // fingers close along x, across the 3 cm side
    // 20% up the 4 cm bar: 8 mm above the floor.
    expect(plan.z).toBeCloseTo(0.008, 6);
    expect(plan.obstruction).toBe(0);
  });

  it('turns the fingers along the wall when closing toward it would put a finger in it', () => {
    // A 4 cm cube 2.5 cm from the +x wall (inner half size 0.25 m).
    const plan = planGrasp(state([box('cube', 0.04, 0.04, 0.04)], [at(0.205, 0, 0.02)]), scene)!;
    expect(axis(plan.yaw)).toBeCloseTo(Math.PI / 2, 6);
    expect(plan.obstruction).toBe(0);
  });

  it('closes the way a neighbour does not block', () => {
    // Side by side along x, 1.5 cm apart: either one, closed along x, puts a finger on the other.
    const objects = [box('cube', 0.04, 0.04, 0.04), box('slab', 0.03, 0.03, 0.06)];
    const plan = planGrasp(state(objects, [at(0, 0, 0.02), at(0.055, 0, 0.03)]), scene)!;
    expect(plan.obstruction).toBe(0);
    expect(axis(plan.yaw)).toBeCloseTo(Math.PI / 2, 6);
  });

  it('returns null when nothing fits between the open fingers', () => {
    expect(planGrasp(state([box('crate', 0.2, 0.2, 0.05)], [at(0, 0, 0.025)]), scene)).toBeNull();
  });

  it('turns the shorter way to an equivalent yaw', () => {
    expect(nearestEquivalentYaw(1.5, -1.4)).toBeCloseTo(1.5 - Math.PI, 9);
    expect(nearestEquivalentYaw(0.2, 0)).toBeCloseTo(0.2, 9);
  });
});
