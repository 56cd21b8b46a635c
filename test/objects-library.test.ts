import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  assertSplit,
  getObject,
  objectExtents,
  objectFootprint,
  objectIds,
  objectsForSplit,
  PROCEDURAL_COUNT,
  proceduralId,
  sampleObjects,
  splitOf,
  SplitError,
  TEST_COUNT,
  TRAIN_COUNT,
  volumeAndCentroid,
  type ObjectSpec,
} from '../src/objects/index.js';
import { generateProcedural } from '../src/objects/procedural.js';
import { Rng } from '../src/random/index.js';
import { expectValidHull } from './fixtures/objects/hull-check.js';

const all: ObjectSpec[] = [...objectsForSplit('train'), ...objectsForSplit('test')];

/** A content fingerprint of an object: every number that defines it. */
function fingerprint(o: Omit<ObjectSpec, 'split'>): string {
  const parts = o.parts.map((p) => `${Array.from(p.vertices).join(',')}|${Array.from(p.indices).join(',')}`);
  return [o.kind, o.mass, o.friction, o.color.join(','), ...parts].join(';');
}

describe('procedural library', () => {
  it('has 1000 distinct objects proc-0000…proc-0999', () => {
    expect(PROCEDURAL_COUNT).toBe(1000);
    const ids = all.map((o) => o.id).sort();
    expect(ids).toEqual(Array.from({ length: 1000 }, (_, i) => proceduralId(i)));
    expect(new Set(all.map(fingerprint)).size).toBe(1000);
  });

  it('generates each object deterministically from its id', () => {
    for (const i of [0, 1, 17, 512, 999]) {
      const a = generateProcedural(i);
      const b = generateProcedural(i);
      expect(fingerprint(a)).toBe(fingerprint(b));
      expect(fingerprint(a)).toBe(fingerprint(all.find((o) => o.id === proceduralId(i))!));
    }
    // A pinned value guards against silent changes to the generator: ids must mean the same object forever.
    const o = getObject('proc-0000', 'train');
    expect(o.kind).toBe('U');
    expect(o.mass).toBeCloseTo(0.19718526484439303, 12);
  });

  it('covers every shape family, including compound ones', () => {
    const kinds = new Set(all.map((o) => o.kind));
    for (const k of ['box', 'cylinder', 'capsule', 'blob', 'L', 'T', 'U']) expect(kinds).toContain(k);
    expect(all.filter((o) => o.parts.length > 1).length).toBeGreaterThan(200);
  });

  it('keeps sizes, masses, frictions and colours in range', () => {
    const problems: string[] = [];
    let elongated = 0;
    for (const o of all) {
      const { size } = objectExtents(o);
      const longest = Math.max(...size);
      const shortest = Math.min(...size);
      if (shortest < 0.019) problems.push(`${o.id}: thinnest side ${shortest} m`);
      if (longest > 0.14) {
        elongated++;
        // Too long for the 14 cm aperture one way, comfortably narrow the other.
        if (longest > 0.201) problems.push(`${o.id}: longest side ${longest} m`);
        if (objectFootprint(o).narrowWidth >= 0.06) problems.push(`${o.id}: elongated but ${objectFootprint(o).narrowWidth} m wide`);
      } else if (longest > 0.125) {
        problems.push(`${o.id}: ${longest} m across`);
      }
      if (!(o.mass >= 0.02 && o.mass <= 0.5)) problems.push(`${o.id}: mass ${o.mass}`);
      if (!(o.friction >= 0.4 && o.friction <= 1.2)) problems.push(`${o.id}: friction ${o.friction}`);
      if (!o.color.every((c) => c >= 0 && c <= 1)) problems.push(`${o.id}: colour ${o.color}`);
    }
    expect(problems).toEqual([]);
    expect(elongated).toBeGreaterThanOrEqual(30);
    expect(elongated).toBeLessThanOrEqual(150);
    // Masses spread over the range rather than piling up at the clamps.
    expect(all.filter((o) => o.mass === 0.02 || o.mass === 0.5).length).toBeLessThan(100);
  });

  it('fits a 14 cm gripper across its narrow side resting on any face of its extents box', () => {
    // Resting on each of the 6 faces of the object's bounding box, the narrow side must fit with margin.
    const rests: Array<[number, number, number, number]> = [
      [0, 0, 0, 1],
      [Math.SQRT1_2, 0, 0, Math.SQRT1_2],
      [0, Math.SQRT1_2, 0, Math.SQRT1_2],
    ];
    const tooWide = all.flatMap((o) => rests.filter((q) => objectFootprint(o, q).narrowWidth >= 0.12).map((q) => `${o.id} at ${q}`));
    expect(tooWide).toEqual([]);
  });

  it('has only valid convex hulls containing their own vertices', () => {
    for (const o of all) for (const part of o.parts) expectValidHull(part, o.id);
  });

  it('has its centre of mass at the object origin', () => {
    for (const o of all.filter((_, i) => i % 10 === 0)) {
      let volume = 0;
      const c = [0, 0, 0];
      for (const part of o.parts) {
        const vc = volumeAndCentroid(part);
        volume += vc.volume;
        for (let k = 0; k < 3; k++) c[k] += vc.volume * vc.centroid[k];
      }
      for (let k = 0; k < 3; k++) expect(Math.abs(c[k] / volume), o.id).toBeLessThan(1e-6);
    }
  });

  it('is plain data that survives structuredClone (worker_threads)', () => {
    const o = getObject('proc-0003', splitOf('proc-0003') as 'train' | 'test');
    const c = structuredClone(o);
    expect(c).toEqual(o);
    expect(c.parts[0].vertices).toBeInstanceOf(Float32Array);
  });
});

describe('train/test split', () => {
  it('is exactly 900 / 100 and disjoint, covering the library', () => {
    const train = objectIds('train');
    const test = objectIds('test');
    expect(TRAIN_COUNT).toBe(900);
    expect(TEST_COUNT).toBe(100);
    expect(train.length).toBe(900);
    expect(test.length).toBe(100);
    const both = new Set([...train, ...test]);
    expect(both.size).toBe(1000);
    for (const id of test) expect(splitOf(id)).toBe('test');
    for (const id of train) expect(splitOf(id)).toBe('train');
    for (const o of objectsForSplit('test')) expect(o.split).toBe('test');
  });

  it('is constant forever (matches the committed list)', () => {
    const pinned = JSON.parse(readFileSync(new URL('./fixtures/objects/test-split.json', import.meta.url), 'utf8'));
    expect(objectIds('test')).toEqual(pinned);
  });

  it('sampleObjects never returns the other split, and is seeded', () => {
    for (const split of ['train', 'test'] as const) {
      const ids = new Set(objectIds(split));
      const rng = new Rng(11);
      for (let k = 0; k < 200; k++) {
        const objs = sampleObjects(split, 5, rng);
        expect(new Set(objs.map((o) => o.id)).size).toBe(5);
        for (const o of objs) {
          expect(ids.has(o.id)).toBe(true);
          expect(o.split).toBe(split);
        }
      }
    }
    const a = sampleObjects('train', 8, new Rng(3)).map((o) => o.id);
    const b = sampleObjects('train', 8, new Rng(3)).map((o) => o.id);
    const c = sampleObjects('train', 8, new Rng(4)).map((o) => o.id);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(sampleObjects('test', 100, new Rng(1)).map((o) => o.id).sort()).toEqual([...objectIds('test')]);
  });

  it('throws on a split mismatch or an unknown split', () => {
    const testId = objectIds('test')[0];
    const trainId = objectIds('train')[0];
    expect(() => getObject(testId, 'train')).toThrow(SplitError);
    expect(() => getObject(trainId, 'test')).toThrow(SplitError);
    expect(() => getObject('proc-1000', 'train')).toThrow(SplitError);
    expect(() => sampleObjects('validation' as 'train', 1, new Rng(0))).toThrow(SplitError);
    expect(() => sampleObjects('test', 101, new Rng(0))).toThrow(RangeError);
    expect(() => assertSplit([getObject(testId, 'test')], 'train')).toThrow(SplitError);
    expect(() => assertSplit([{ ...getObject(testId, 'test'), split: 'train' }], 'train')).toThrow(SplitError);
    expect(() => assertSplit(objectsForSplit('train'), 'train')).not.toThrow();
  });
});
