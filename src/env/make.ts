/** The two ways objects reach a GraspEnv: a library split, or a list (e.g. from a directory). */
import { sampleObjects, type LibrarySplit, type ObjectSpec } from '../objects/index.js';
import type { Rng } from '../random/index.js';
import type { ObjectSource } from './grasp-env.js';

/** Distinct objects drawn from a side of the procedural library's train/validation/test split. */
export function splitObjectSource(split: LibrarySplit): ObjectSource {
  return (count: number, rng: Rng) => sampleObjects(split, count, rng);
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
