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
  LIBRARY_SPLITS,
  LIBRARY_VERSION,
  TEST_COUNT,
  TRAIN_COUNT,
  VALIDATION_COUNT,
  volumeAndCentroid,
  type LibrarySplit,
  type ObjectSpec,
} from '../src/objects/index.js';
import { generateProcedural } from '../src/objects/procedural.js';
import { Rng } from '../src/random/index.js';
import { expectValidHull } from './fixtures/objects/hull-check.js';

const all: ObjectSpec[] = LIBRARY_SPLITS.flatMap((split) => objectsForSplit(split));

/** A content fingerprint of an object: every number that defines it. */
function fingerprint(o: Omit<ObjectSpec, 'split'>): string {
  const parts = o.parts.map((p) => `${Array.from(p.vertices).join(',')}|${Array.from(p.indices).join(',')}|${JSON.stringify(p.primitive ?? null)}`);
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
    // Pinned under LIBRARY_VERSION procedural-2; a change to any object needs a new version.
    expect(LIBRARY_VERSION).toBe('procedural-2');
    const o = getObject('proc-0000', 'train');
    expect(o.kind).toBe('compound');
    expect(o.parts.length).toBe(4);
    expect(o.mass).toBeCloseTo(0.08333323099060523, 12);
  });

  it('covers every shape family, including compound ones', () => {
    const kinds = new Set(all.map((o) => o.kind));
    for (const k of ['box', 'cylinder', 'capsule', 'blob', 'L', 'T', 'U', 'compound']) expect(kinds).toContain(k);
    expect(all.filter((o) => o.parts.length > 1).length).toBeGreaterThan(400);
  });

  it('gives random compounds about a quarter of every split', () => {
    for (const split of LIBRARY_SPLITS) {
      const objs = objectsForSplit(split);
      const share = objs.filter((o) => o.kind === 'compound').length / objs.length;
      expect(share, split).toBeGreaterThan(0.2);
      expect(share, split).toBeLessThan(0.3);
    }
  });

  it('builds compounds of 3-7 touching, non-overlapping boxes and cylinders, 4-14 cm across', () => {
    const compounds = all.filter((o) => o.kind === 'compound');
    const offCentre: number[] = [];
    for (const o of compounds) {
      expect(o.parts.length, o.id).toBeGreaterThanOrEqual(3);
      expect(o.parts.length, o.id).toBeLessThanOrEqual(7);
      const span = Math.max(...objectExtents(o).size);
      expect(span, o.id).toBeGreaterThanOrEqual(0.04);
      expect(span, o.id).toBeLessThanOrEqual(0.1401);
      const boxes = o.parts.map((p) => objectExtents({ ...o, parts: [p] }));
      for (const p of o.parts) expect(['box', 'cylinder'], o.id).toContain(p.primitive?.shape.kind);
      // Bounds of two parts overlap by at most float32 rounding; the parts form one connected piece through touching faces.
      const gap = (a: number, b: number, k: number) => Math.max(boxes[a].min[k] - boxes[b].max[k], boxes[b].min[k] - boxes[a].max[k]);
      const touching = (a: number, b: number) => [0, 1, 2].every((k) => gap(a, b, k) < 1e-5);
      for (let a = 0; a < boxes.length; a++) {
        for (let b = a + 1; b < boxes.length; b++) {
          expect(Math.max(gap(a, b, 0), gap(a, b, 1), gap(a, b, 2)), `${o.id} parts ${a} ${b}`).toBeGreaterThan(-1e-5);
        }
      }
      const reached = new Set([0]);
      for (let grew = true; grew; ) {
        grew = false;
        for (let a = 0; a < boxes.length; a++) {
          if (reached.has(a)) continue;
          if ([...reached].some((b) => touching(a, b))) {
            reached.add(a);
            grew = true;
          }
        }
      }
      expect(reached.size, o.id).toBe(o.parts.length);
      // Where the parts put the centre of mass: relative to the middle of the bounds.
      const { min, max } = objectExtents(o);
      offCentre.push(Math.hypot((min[0] + max[0]) / 2, (min[1] + max[1]) / 2, (min[2] + max[2]) / 2) / span);
    }
    // Lopsided compounds are common: the centre of mass is often far from the middle of the bounds.
    expect(offCentre.filter((d) => d > 0.1).length).toBeGreaterThan(compounds.length / 4);
  });

  it('marks boxes, cylinders, capsules and the parts of L, T, U and compounds as primitive solids, blobs as hulls', () => {
    for (const o of all) {
      const expected = o.kind === 'blob' ? undefined : o.kind === 'capsule' ? 'capsule' : o.kind === 'cylinder' ? 'cylinder' : o.kind === 'compound' ? null : 'box';
      for (const part of o.parts) {
        if (expected === null) continue;
        expect(part.primitive?.shape.kind, o.id).toBe(expected);
      }
    }
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
      } else if (longest > (o.kind === 'compound' ? 0.1401 : 0.125)) {
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

  it('fits a 14 cm gripper across its narrow side resting on any face of its extents box (compounds: some part does)', () => {
    // Resting on each of the 6 faces of the object's bounding box, the narrow side must fit with margin.
    const rests: Array<[number, number, number, number]> = [
      [0, 0, 0, 1],
      [Math.SQRT1_2, 0, 0, Math.SQRT1_2],
      [0, Math.SQRT1_2, 0, Math.SQRT1_2],
    ];
    const narrowest = (o: ObjectSpec, q: [number, number, number, number]): number =>
      o.kind === 'compound' ? Math.min(...o.parts.map((p) => objectFootprint({ ...o, parts: [p] }, q).narrowWidth)) : objectFootprint(o, q).narrowWidth;
    const tooWide = all.flatMap((o) => rests.filter((q) => narrowest(o, q) >= 0.12).map((q) => `${o.id} at ${q}`));
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
    const o = getObject('proc-0003', splitOf('proc-0003') as LibrarySplit);
    const c = structuredClone(o);
    expect(c).toEqual(o);
    expect(c.parts[0].vertices).toBeInstanceOf(Float32Array);
  });
});

describe('train/validation/test split', () => {
  it('is exactly 850 / 50 / 100 and disjoint, covering the library', () => {
    const train = objectIds('train');
    const validation = objectIds('validation');
    const test = objectIds('test');
    expect([TRAIN_COUNT, VALIDATION_COUNT, TEST_COUNT]).toEqual([850, 50, 100]);
    expect([train.length, validation.length, test.length]).toEqual([850, 50, 100]);
    const every = new Set([...train, ...validation, ...test]);
    expect(every.size).toBe(1000);
    for (const split of LIBRARY_SPLITS) {
      for (const id of objectIds(split)) expect(splitOf(id)).toBe(split);
      for (const o of objectsForSplit(split)) expect(o.split).toBe(split);
    }
  });

  it('takes validation from the 900 ids that were train before it existed, by a fixed hash', () => {
    const pinned = new Set<string>(JSON.parse(readFileSync(new URL('./fixtures/objects/test-split.json', import.meta.url), 'utf8')));
    const formerTrain = Array.from({ length: PROCEDURAL_COUNT }, (_, i) => proceduralId(i)).filter((id) => !pinned.has(id));
    expect(formerTrain.length).toBe(900);
    expect([...objectIds('train'), ...objectIds('validation')].sort()).toEqual(formerTrain);
    const validation = JSON.parse(readFileSync(new URL('./fixtures/objects/validation-split.json', import.meta.url), 'utf8'));
    expect(objectIds('validation')).toEqual(validation);
  });

  it('is constant forever (matches the committed list)', () => {
    const pinned = JSON.parse(readFileSync(new URL('./fixtures/objects/test-split.json', import.meta.url), 'utf8'));
    expect(objectIds('test')).toEqual(pinned);
  });

  it('sampleObjects never returns the other split, and is seeded', () => {
    for (const split of LIBRARY_SPLITS) {
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
    const validationId = objectIds('validation')[0];
    expect(() => getObject(validationId, 'train')).toThrow(SplitError);
    expect(() => getObject(validationId, 'test')).toThrow(SplitError);
    expect(() => getObject(trainId, 'validation')).toThrow(SplitError);
    expect(() => getObject(validationId, 'validation')).not.toThrow();
    for (const unknown of ['val', 'external', 'Train', '']) {
      expect(() => sampleObjects(unknown as LibrarySplit, 1, new Rng(0)), unknown).toThrow(SplitError);
      expect(() => objectIds(unknown as LibrarySplit), unknown).toThrow(SplitError);
      expect(() => objectsForSplit(unknown as LibrarySplit), unknown).toThrow(SplitError);
      expect(() => getObject(trainId, unknown as LibrarySplit), unknown).toThrow(SplitError);
    }
    expect(() => sampleObjects('test', 101, new Rng(0))).toThrow(RangeError);
    expect(() => assertSplit([getObject(testId, 'test')], 'train')).toThrow(SplitError);
    expect(() => assertSplit([{ ...getObject(testId, 'test'), split: 'train' }], 'train')).toThrow(SplitError);
    expect(() => assertSplit(objectsForSplit('train'), 'train')).not.toThrow();
    expect(() => assertSplit(objectsForSplit('validation'), 'train')).toThrow(SplitError);
  });
});
