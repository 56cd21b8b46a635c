/**
 * The train/validation/test split of the procedural library and the only ways
 * to get library objects. As in Quillen et al. 2018, 900 objects are for
 * training and 100 are held out for test; of the 900, 50 form a validation
 * split for periodic evaluation and checkpoint selection, and 850 train. Both
 * cuts are fixed hashes of the id, so they never depend on a seed, a run or
 * the order of calls, and they never change: the test ids are the same as
 * before the validation split existed.
 *
 * Every accessor names the split it wants and refuses anything else, so a
 * training code path (which only ever says 'train' or 'validation') cannot get
 * a test object.
 */
import type { Rng } from '../random/index.js';
import { generateProcedural, PROCEDURAL_COUNT, proceduralId, proceduralIndex } from './procedural.js';
import type { ObjectSpec, ObjectSplit } from './types.js';

/** A side of the procedural library's split. */
export type LibrarySplit = 'train' | 'validation' | 'test';

/** The library's splits, in order. */
export const LIBRARY_SPLITS: readonly LibrarySplit[] = Object.freeze(['train', 'validation', 'test']);

/** Held-out objects (Quillen et al. 2018 held out 100 of 1000), for final reports only. */
export const TEST_COUNT = 100;
/** Validation objects, taken from the 900 non-test ids: for evaluation during training and checkpoint selection. */
export const VALIDATION_COUNT = 50;
/** Training objects. */
export const TRAIN_COUNT = PROCEDURAL_COUNT - TEST_COUNT - VALIDATION_COUNT;

/** Asking for an object from the wrong side of the split (or a split that does not exist). */
export class SplitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SplitError';
  }
}

/**
 * A fixed, platform-independent 32-bit string hash: FNV-1a, then murmur3's
 * finalizer, because FNV-1a alone barely moves the high bits when only the last
 * characters differ (proc-0203, proc-0204, …) and the split would come out in runs.
 */
function splitHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

interface SplitIds {
  train: readonly string[];
  validation: readonly string[];
  test: readonly string[];
  of: ReadonlyMap<string, LibrarySplit>;
}

let splitIds: SplitIds | null = null;

/** The `count` ids of `pool` with the smallest split hash under `salt`. */
function smallestHashes(pool: readonly string[], salt: string, count: number): Set<string> {
  const byHash = pool.map((id) => ({ id, h: splitHash(`${salt}:${id}`) })).sort((a, b) => a.h - b.h || (a.id < b.id ? -1 : 1));
  return new Set(byHash.slice(0, count).map((e) => e.id));
}

/**
 * Ids of each side, in library order. The test side is the TEST_COUNT ids with
 * the smallest `pincer-split-v1` hash (unchanged since the library had two
 * splits); validation is the VALIDATION_COUNT remaining ids with the smallest
 * `pincer-validation-v1` hash.
 */
function ids(): SplitIds {
  if (splitIds) return splitIds;
  const all = Array.from({ length: PROCEDURAL_COUNT }, (_, i) => proceduralId(i));
  const test = smallestHashes(all, 'pincer-split-v1', TEST_COUNT);
  const validation = smallestHashes(all.filter((id) => !test.has(id)), 'pincer-validation-v1', VALIDATION_COUNT);
  const of = new Map<string, LibrarySplit>(all.map((id) => [id, test.has(id) ? 'test' : validation.has(id) ? 'validation' : 'train']));
  splitIds = {
    train: Object.freeze(all.filter((id) => of.get(id) === 'train')),
    validation: Object.freeze(all.filter((id) => of.get(id) === 'validation')),
    test: Object.freeze(all.filter((id) => of.get(id) === 'test')),
    of,
  };
  return splitIds;
}

function checkSplit(split: string): asserts split is LibrarySplit {
  if (!(LIBRARY_SPLITS as readonly string[]).includes(split)) {
    throw new SplitError(`unknown object split '${split}' (expected ${LIBRARY_SPLITS.join(', ')})`);
  }
}

/** The split an object id belongs to: train, validation or test for `proc-NNNN`, external for `ext:<name>`. */
export function splitOf(id: string): ObjectSplit {
  if (id.startsWith('ext:')) return 'external';
  if (proceduralIndex(id) < 0) throw new SplitError(`unknown object id '${id}' (expected proc-0000…proc-${PROCEDURAL_COUNT - 1} or ext:<name>)`);
  return ids().of.get(id)!;
}

/** Ids of one side of the split, sorted. */
export function objectIds(split: LibrarySplit): readonly string[] {
  checkSplit(split);
  return ids()[split];
}

const cache = new Map<string, ObjectSpec>();

/**
 * Library object `id`, which must be on side `split`; throws SplitError
 * otherwise. Generated on first use and cached: treat it as read-only (it is
 * frozen, but its typed arrays cannot be).
 */
export function getObject(id: string, split: LibrarySplit): ObjectSpec {
  checkSplit(split);
  const actual = splitOf(id);
  if (actual !== split) throw new SplitError(`object ${id} is in the ${actual} split, not ${split}`);
  let spec = cache.get(id);
  if (!spec) {
    const generated: ObjectSpec = { ...generateProcedural(proceduralIndex(id)), split };
    Object.freeze(generated.parts);
    for (const part of generated.parts) Object.freeze(part);
    Object.freeze(generated.color);
    spec = Object.freeze(generated);
    cache.set(id, spec);
  }
  return spec;
}

/**
 * Whether `spec` is the library's own object for its id, the one `getObject`
 * returns (not a copy or a look-alike): what was precomputed from the library
 * holds for it.
 */
export function isLibraryObject(spec: ObjectSpec): boolean {
  return cache.get(spec.id) === spec;
}

/** Every object of one side of the split, in id order. */
export function objectsForSplit(split: LibrarySplit): ObjectSpec[] {
  return objectIds(split).map((id) => getObject(id, split));
}

/**
 * `count` distinct objects drawn uniformly from side `split` with `rng`
 * (partial Fisher-Yates over the split's ids: the same rng state gives the same draw).
 */
export function sampleObjects(split: LibrarySplit, count: number, rng: Rng): ObjectSpec[] {
  const pool = objectIds(split).slice();
  if (!Number.isInteger(count) || count < 0 || count > pool.length) {
    throw new RangeError(`sampleObjects: count must be an integer in [0, ${pool.length}] for the ${split} split, got ${count}`);
  }
  const out: ObjectSpec[] = [];
  for (let i = 0; i < count; i++) {
    const j = rng.int(i, pool.length - 1);
    [pool[i], pool[j]] = [pool[j], pool[i]];
    out.push(getObject(pool[i], split));
  }
  return out;
}

/** Throw SplitError unless every object is on side `split` (a guard for code handed objects by someone else). */
export function assertSplit(objects: readonly ObjectSpec[], split: ObjectSplit): void {
  for (const o of objects) {
    if (o.split !== split) throw new SplitError(`object ${o.id} is in the ${o.split} split, not ${split}`);
    if (split !== 'external' && splitOf(o.id) !== split) throw new SplitError(`object ${o.id} claims split ${o.split} but its id is in ${splitOf(o.id)}`);
  }
}
