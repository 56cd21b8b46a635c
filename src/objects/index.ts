/**
 * Graspable objects: the seeded procedural library (`proc-0000`…`proc-0999`,
 * version `LIBRARY_VERSION`) with its fixed 850/50/100 train/validation/test split, external objects imported from
 * URDF/OBJ files (`ext:<name>`), convex hulls, and the sizes a grasper needs.
 *
 * Every ObjectSpec is plain data (typed arrays, numbers, strings), so it can
 * be posted to a worker thread. Library objects are cached and frozen: treat
 * them as read-only.
 *
 * This surface is portable (browser and Node); reading object files from disk
 * (`loadObjectDir`, `loadObjectFile`) is in `./node.ts`.
 *
 *   sampleObjects('train', 5, rng)      5 distinct training objects
 *   objectsForSplit('test')             all 100 held-out objects
 *   getObject('proc-0042', 'train')     one object; throws SplitError if it is a test object
 *   objectFootprint(spec, quaternion)   narrow side and grasp yaw of a resting object
 */
export type { ConvexPart, ObjectSpec, ObjectSplit, Primitive, PrimitiveShape } from './types.js';
export { convexHull, HullError, partVolume, volumeAndCentroid } from './hull.js';
export { LIBRARY_FAMILIES, LIBRARY_VERSION, PROCEDURAL_COUNT, proceduralId, proceduralIndex } from './procedural.js';
export {
  type LibrarySplit,
  LIBRARY_SPLITS,
  TRAIN_COUNT,
  VALIDATION_COUNT,
  TEST_COUNT,
  SplitError,
  splitOf,
  objectIds,
  getObject,
  isLibraryObject,
  objectsForSplit,
  sampleObjects,
  assertSplit,
} from './library.js';
export { type Extents, type Footprint, convexHull2d, objectExtents, objectFootprint } from './geometry.js';
export { ObjectImportError } from './errors.js';
export { DEFAULT_FRICTION } from './urdf.js';
export { parseObj, type ObjMesh, type ObjGroup } from './obj.js';
