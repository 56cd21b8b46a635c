/**
 * GraspWorld steps Rapier's physics pipeline directly instead of calling
 * `World.step()`, which adds per-step bookkeeping for soft bodies (src/sim/world.ts,
 * `stepPhysics`). For a world without soft bodies the two must move every body
 * identically, bit for bit; this would catch a Rapier version whose `World.step()`
 * does more than that.
 */
import RAPIER from '@dimforge/rapier3d-compat';
import { beforeAll, describe, expect, it } from 'vitest';
import { getObject } from '../src/objects/index.js';
import { createGraspWorld, partColliders } from '../src/sim/index.js';
import { stepPhysics } from '../src/sim/world.js';
import { defaultScene } from '../src/scene/index.js';

beforeAll(async () => {
  await createGraspWorld(defaultScene()); // initialises Rapier's wasm
});

/** A floor, three library objects (a compound with cylinder parts among them) falling onto it and each other, and a kinematic box sweeping through them. */
function buildWorld(): { world: RAPIER.World; bodies: RAPIER.RigidBody[]; pusher: RAPIER.RigidBody } {
  const world = new RAPIER.World({ x: 0, y: 0, z: -9.81 });
  world.timestep = 1 / 120;
  world.createCollider(RAPIER.ColliderDesc.cuboid(0.5, 0.5, 0.01).setTranslation(0, 0, -0.01));
  const bodies = ['proc-0275', 'proc-0232', 'proc-0013'].map((id, i) => {
    const spec = getObject(id, 'train');
    const body = world.createRigidBody(RAPIER.RigidBodyDesc.dynamic().setTranslation(0.02 * i, 0, 0.08 + 0.1 * i).setRotation({ x: 0.2, y: 0.1 * i, z: 0, w: 1 }).setCcdEnabled(true));
    spec.parts.forEach((part, k) => partColliders(part, `${id} part ${k}`).forEach(({ desc }) => world.createCollider(desc.setDensity(500), body)));
    return body;
  });
  const pusher = world.createRigidBody(RAPIER.RigidBodyDesc.kinematicPositionBased().setTranslation(-0.3, 0, 0.03));
  world.createCollider(RAPIER.ColliderDesc.cuboid(0.02, 0.1, 0.03), pusher);
  return { world, bodies, pusher };
}

function run(step: (world: RAPIER.World) => void): number[] {
  const { world, bodies, pusher } = buildWorld();
  const state: number[] = [];
  for (let i = 0; i < 240; i++) {
    pusher.setNextKinematicTranslation({ x: -0.3 + 0.0025 * i, y: 0, z: 0.03 });
    step(world);
    if (i % 20 === 19) {
      for (const b of bodies) {
        const t = b.translation();
        const r = b.rotation();
        const v = b.linvel();
        state.push(t.x, t.y, t.z, r.x, r.y, r.z, r.w, v.x, v.y, v.z);
      }
    }
  }
  world.free();
  return state;
}

describe('stepPhysics', () => {
  it('moves every body exactly as World.step() does', () => {
    const viaWorld = run((w) => w.step());
    expect(run(stepPhysics)).toEqual(viaWorld);
    // The objects did move: fell, landed and were pushed.
    expect(new Set(viaWorld).size).toBeGreaterThan(viaWorld.length / 2);
  });
});
