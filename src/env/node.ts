/**
 * The env in Node: everything in index.ts, plus `createGraspEnv`, which builds a
 * GraspEnv over the Rapier world and the headless renderer.
 */
import type { ObjectSplit } from '../objects/index.js';
import { createNodeRenderer } from '../render/node.js';
import type { SceneConfig } from '../scene/index.js';
import { createGraspWorld } from '../sim/index.js';
import { GraspEnv, type ObjectSource } from './grasp-env.js';

export * from './index.js';

/** A GraspEnv over the Rapier world and a headless renderer (starts Xvfb if needed). Call `close()` when done. */
export async function createGraspEnv(opts: { scene: SceneConfig; split: ObjectSplit; objectSource: ObjectSource }): Promise<GraspEnv> {
  const world = await createGraspWorld(opts.scene);
  const renderer = await createNodeRenderer(opts.scene, []);
  return new GraspEnv({ ...opts, world, renderer });
}
