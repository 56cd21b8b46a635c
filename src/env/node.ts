/**
 * The env in Node: everything in index.ts, plus `createGraspEnv`, which builds a
 * GraspEnv over the Rapier world and the headless renderer, and `createEnvFor`
 * (objects from a library split or a directory on disk).
 */
import { loadObjectDir, type LibrarySplit, type ObjectSplit } from '../objects/node.js';
import { createNodeRenderer } from '../render/node.js';
import type { SceneConfig } from '../scene/index.js';
import { createGraspWorld } from '../sim/index.js';
import { GraspEnv, type ObjectSource } from './grasp-env.js';
import { listObjectSource, splitObjectSource } from './make.js';

export * from './index.js';

/** A GraspEnv over the Rapier world and a headless renderer (starts Xvfb if needed). Call `close()` when done. */
export async function createGraspEnv(opts: { scene: SceneConfig; split: ObjectSplit; objectSource: ObjectSource }): Promise<GraspEnv> {
  const world = await createGraspWorld(opts.scene);
  const renderer = await createNodeRenderer(opts.scene, []);
  return new GraspEnv({ ...opts, world, renderer });
}

/** Where an env's objects come from: a side of the library's split, or every object in a directory (split 'external'). */
export type ObjectChoice = { split: LibrarySplit; family?: string } | { objectsDir: string };

/**
 * A GraspEnv over the objects `choice` names. An unreadable or invalid objects
 * directory throws ObjectImportError naming the file, before any env is built.
 */
export async function createEnvFor(scene: SceneConfig, choice: ObjectChoice): Promise<GraspEnv> {
  if ('split' in choice) return createGraspEnv({ scene, split: choice.split, objectSource: splitObjectSource(choice.split, choice.family) });
  const objects = loadObjectDir(choice.objectsDir);
  return createGraspEnv({ scene, split: 'external', objectSource: listObjectSource(objects) });
}
