export type { ConvexPart, ObjectSpec, ObjectSplit } from './types.js';
export { convexHull, HullError, partVolume, volumeAndCentroid } from './hull.js';
export { PROCEDURAL_COUNT, proceduralId } from './procedural.js';
export {
  type LibrarySplit,
  TRAIN_COUNT,
  TEST_COUNT,
  SplitError,
  splitOf,
  objectIds,
  getObject,
  objectsForSplit,
  sampleObjects,
  assertSplit,
} from './library.js';
export { type Extents, type Footprint, objectExtents, objectFootprint } from './geometry.js';
