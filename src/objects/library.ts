/**
 * The train/test split of the procedural library and the only ways to get
 * library objects. As in Quillen et al. 2018, 900 objects train and 100 are
 * held out; the split is a fixed hash of the id, so it never depends on a
 * seed, a run or the order of calls, and it never changes.
 *
 * Every accessor names the split it wants and refuses anything else, so a
 * training code path (which only ever says 'train') cannot get a test object.
 */
import type { Rng } from '../random/index.js';
import { generateProcedural, PROCEDURAL_COUNT, proceduralId, proceduralIndex } from './procedural.js';
import type { ObjectSpec, ObjectSplit } from './types.js';

/** A side of the procedural library's split. */
export type LibrarySplit = 'train' | 'test';

/** Held-out objects (Quillen et al. 2018 held out 100 of 1000). */
export const TEST_COUNT = 100;
/** Training objects. */
export const TRAIN_COUNT = PROCEDURAL_COUNT - TEST_COUNT;

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

let splitIds: { train: readonly string[]; test: readonly string[]; testSet: ReadonlySet<string> } | null = null;

/** Ids of each side, in library order. The test side is the TEST_COUNT ids with the smallest split hash. */
function ids(): { train: readonly string[]; test: readonly string[]; testSet: ReadonlySet<string> } {
  if (splitIds) return splitIds;
  const all = Array.from({ length: PROCEDURAL_COUNT }, (_, i) => proceduralId(i));
  const byHash = all
    .map((id) => ({ id, h: splitHash(`pincer-split-v1:${id}`) }))
    .sort((a, b) => a.h - b.h || (a.id < b.id ? -1 : 1));
  const test = new Set(byHash.slice(0, TEST_COUNT).map((e) => e.id));
  splitIds = {
    train: Object.freeze(all.filter((id) => !test.has(id))),
    test: Object.freeze(all.filter((id) => test.has(id))),
    testSet: test,
  };
  return splitIds;
}

function checkSplit(split: string): asserts split is LibrarySplit {
  if (split !== 'train' && split !== 'test') throw new SplitError(`unknown object split '${split}' (expected train or test)`);
}

/** The split an object id belongs to: train or test for `proc-NNNN`, external for `ext:<name>`. */
export function splitOf(id: string): ObjectSplit {
  if (id.startsWith('ext:')) return 'external';
  if (proceduralIndex(id) < 0) throw new SplitError(`unknown object id '${id}' (expected proc-0000…proc-${PROCEDURAL_COUNT - 1} or ext:<name>)`);
  return ids().testSet.has(id) ? 'test' : 'train';
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
