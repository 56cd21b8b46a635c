/**
 * The precomputed resting poses of the procedural library (src/sim/resting-table.ts)
 * stand in for the resting-pose search, so they must give what the search gives, bit
 * for bit: the same down directions for every library object, the same drop poses, and
 * the same episodes. A library object reads the table; a copy of it (not the library's
 * own spec) is searched, which is how the two paths meet here.
 */
import { describe, expect, it } from 'vitest';
import { getObject, isLibraryObject, LIBRARY_VERSION, PROCEDURAL_COUNT, proceduralId, sampleObjects, splitOf, type ObjectSpec } from '../src/objects/index.js';
import { deriveSeed, Rng } from '../src/random/index.js';
import { defaultScene } from '../src/scene/index.js';
import { createGraspWorld, dropPoses, restingDownsOf, searchRestingPoses, type GraspWorld } from '../src/sim/index.js';

const scene = defaultScene();
const libraryObject = (i: number): ObjectSpec => getObject(proceduralId(i), splitOf(proceduralId(i)) as 'train' | 'validation' | 'test');
/** Bins of five library objects from every split, as env draws them. */
const bins = Array.from({ length: 12 }, (_, i) => sampleObjects((['train', 'validation', 'test'] as const)[i % 3], 5, new Rng(deriveSeed(3, i))));
const copies = (bin: ObjectSpec[]): ObjectSpec[] => bin.map((o) => ({ ...o }));

describe('resting-pose table', () => {
  it('holds the search\'s down directions for every library object, bit for bit (regenerate: npm run build && node scripts/resting-table.mjs)', () => {
    for (let i = 0; i < PROCEDURAL_COUNT; i++) {
      const poses = searchRestingPoses(libraryObject(i));
      const fallback = poses.length === 1 && poses[0].comHeight === 0;
      // toEqual compares numbers with Object.is: exact doubles.
      expect(restingDownsOf(LIBRARY_VERSION, i), proceduralId(i)).toEqual(fallback ? null : poses.map((p) => p.down));
    }
  });

  it('is used only for the library\'s own objects of its library version', () => {
    expect(restingDownsOf('procedural-0', 0)).toBeUndefined();
    expect(restingDownsOf(LIBRARY_VERSION, PROCEDURAL_COUNT)).toBeUndefined();
    const spec = libraryObject(7);
    expect(isLibraryObject(spec)).toBe(true);
    expect(isLibraryObject({ ...spec })).toBe(false);
  });

  it('gives the same drop poses as the search', () => {
    for (const [i, bin] of bins.entries()) expect(dropPoses(bin, scene, new Rng(i))).toEqual(dropPoses(copies(bin), scene, new Rng(i)));
  });

  it('gives bit-identical episodes with and without it', async () => {
    const world = await createGraspWorld(scene);
    const episode = (w: GraspWorld, objects: ObjectSpec[], seed: number): string => {
      w.reset(objects, seed);
      const snaps = [w.snapshot()];
      const rng = new Rng(seed);
      for (let k = 0; k < 6; k++) {
        w.setGripperTarget([rng.range(-0.1, 0.1), rng.range(-0.1, 0.1), rng.range(0, 0.15)], rng.range(-1, 1));
        w.setFingersClosed(k >= 3);
        w.advance(0.15);
        snaps.push(w.snapshot());
      }
      return JSON.stringify({ snaps, gt: w.groundTruth(), steps: w.stepsSinceReset });
    };
    for (const [i, bin] of bins.slice(0, 3).entries()) expect(episode(world, bin, 100 + i)).toBe(episode(world, copies(bin), 100 + i));
    world.dispose();
  });
});
