/**
 * Building a GraspEnv with the real physics world and the headless renderer,
 * and the two ways objects reach it (a library split, or a list from a directory).
 */
import { LIBRARY_FAMILIES, loadObjectDir, objectsForSplit, sampleObjects, type LibrarySplit, type ObjectSpec, type ObjectSplit } from '../objects/index.js';
import { createNodeRenderer } from '../render/index.js';
import type { Rng } from '../random/index.js';
import type { SceneConfig } from '../scene/index.js';
import { createGraspWorld } from '../sim/index.js';
import { GraspEnv, type ObjectSource } from './grasp-env.js';

/**
 * Distinct objects drawn from a side of the procedural library's train/validation/test
 * split; with `family`, only from that family's objects on that side (for diagnosis).
 */
export function splitObjectSource(split: LibrarySplit, family?: string): ObjectSource {
  if (family === undefined) return (count: number, rng: Rng) => sampleObjects(split, count, rng);
  const pool = objectsForSplit(split).filter((o) => o.kind === family);
  if (pool.length === 0) throw new RangeError(`no '${family}' objects in the ${split} split (families: ${LIBRARY_FAMILIES.join(', ')})`);
  return listObjectSource(pool);
}

/**
 * Objects drawn from a fixed list (e.g. an imported directory): distinct while the
 * list is long enough, then with repeats, so a small directory still fills the bin.
 */
export function listObjectSource(objects: readonly ObjectSpec[]): ObjectSource {
  if (objects.length === 0) throw new RangeError('listObjectSource: the object list is empty');
  return (count: number, rng: Rng) => {
    const pool = objects.slice();
    const out: ObjectSpec[] = [];
    for (let i = 0; i < count; i++) {
      if (i >= pool.length) {
        out.push(rng.pick(pool));
        continue;
      }
      // Partial Fisher-Yates: draw i is uniform over the objects not drawn yet.
      const j = rng.int(i, pool.length - 1);
      [pool[i], pool[j]] = [pool[j], pool[i]];
      out.push(pool[i]);
    }
    return out;
  };
}

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
