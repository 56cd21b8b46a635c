/**
 * The scripted grasper's planning, with known answers: where to close on a lone
 * cube, and which way to turn when a wall or a neighbour blocks one direction.
 */
import { describe, expect, it } from 'vitest';
import type { PrivilegedState } from '../src/env/index.js';
import { convexHull, type ObjectSpec } from '../src/objects/index.js';
import { boxPart } from '../src/objects/primitives.js';
import { nearestEquivalentYaw, planGrasp, plansForObject } from '../src/policies/index.js';
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

  it('slides the grip along a long part toward the centre of mass', () => {
    // A 2 x 12 x 2 cm bar along y with a 5 cm cube on its +y end. Origin = centre of mass (uniform density):
    // bar volume 48 cm³ centred at y = 0, cube 125 cm³ at y = 8.5 cm → centre of mass at y = 125·8.5 / 173 = 6.14 cm,
    // past the bar's end.
    const comY = (125 * 0.085) / 173;
    const parts = [boxPart([-0.01, -0.06 - comY, -0.01], [0.02, 0.12, 0.02]), boxPart([-0.025, 0.06 - comY, -0.01], [0.05, 0.05, 0.05])];
    const hammer: ObjectSpec = { id: 'hammer', kind: 'compound', split: 'external', parts, mass: 0.1, friction: 1, color: [1, 0, 0] };
    const plans = plansForObject(0, state([hammer], [at(0, 0, 0.01)]), scene).filter((p) => p.partIndex === 0 && axis(p.yaw) < 1e-6);
    // Closing along x across the bar. Nearest the centre of mass the bar allows is its end minus half a finger,
    // but there a finger would land on the cube: that plan is obstructed.
    const nearest = plans.find((p) => Math.abs(p.y - (0.06 - comY - scene.gripper.fingerWidth / 2)) < 1e-6)!;
    expect(nearest.x).toBeCloseTo(0, 6);
    expect(nearest.obstruction).toBeGreaterThan(0);
    // The clear grip nearest the centre of mass is the next one tried, 2 cm from it down the bar (the finger then
    // ends 2 mm short of the cube), far from the bar's middle at y = -comY.
    const clear = plans.filter((p) => p.obstruction === 0).sort((a, b) => a.offCenter - b.offCenter)[0];
    expect(clear.y).toBeCloseTo(-0.02, 6);
    expect(clear.offCenter).toBeCloseTo(Math.abs(clear.y), 6);
    expect(clear.offCenter).toBeLessThan(comY - 0.02);
  });

  it('counts a part under the palm as an obstruction, and grasps elsewhere', () => {
    // A 10 x 3 x 1.5 cm slab with a 2 x 2 x 10 cm post standing on its middle: closing low on the slab's middle
    // would bring the palm (6 cm above the fingertips) down onto the post.
    const parts = [boxPart([-0.05, -0.015, 0], [0.1, 0.03, 0.015]), boxPart([-0.01, -0.01, 0.015], [0.02, 0.02, 0.1])];
    const spec: ObjectSpec = { id: 'post', kind: 'compound', split: 'external', parts, mass: 0.1, friction: 1, color: [1, 0, 0] };
    const s = state([spec], [at(0, 0, 0)]);
    const slabMiddle = plansForObject(0, s, scene).filter((p) => p.partIndex === 0 && Math.hypot(p.x, p.y) < 0.005);
    expect(slabMiddle.length).toBeGreaterThan(0);
    for (const p of slabMiddle) expect(p.obstruction).toBeGreaterThan(0);
    const best = planGrasp(s, scene)!;
    expect(best.obstruction).toBe(0);
  });
});
