/** The two ways objects reach a GraspEnv: a library split (optionally one family), or a list (e.g. from a directory). */
import { LIBRARY_FAMILIES, objectsForSplit, sampleObjects, type LibrarySplit, type ObjectSpec } from '../objects/index.js';
import type { Rng } from '../random/index.js';
import type { ObjectSource } from './grasp-env.js';

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
