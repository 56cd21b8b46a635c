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
export { ObjectImportError } from './errors.js';
export { loadObjectDir, loadObjectFile, DEFAULT_DENSITY } from './import.js';
export { DEFAULT_FRICTION } from './urdf.js';
export { parseObj, type ObjMesh, type ObjGroup } from './obj.js';
