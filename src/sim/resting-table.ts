/**
 * The resting poses of the procedural library, precomputed: for each library
 * index, the down directions `searchRestingPoses` finds, in its order. The
 * search is deterministic per object, so an object's table entry gives the
 * same drop poses, bit for bit, as searching (heights and footprints are
 * recomputed from the directions by the search's own functions). `dropPoses`
 * reads it for library objects because the search was most of a new object's
 * first placement, and short runs meet mostly new objects: over the first 30
 * bins of `bench env` in a fresh process, 18–20 ms CPU per bin of five
 * objects searched, 1.4 ms with the table. The table is tied to one library
 * version; under any other, objects are searched.
 *
 * Encoding (resting-table-data.ts, written by scripts/resting-table.mjs):
 * base64 of little-endian float64s, per library index in order: the number of
 * poses k (0 when the search found no stable pose and fell back to lying on
 * -z), then k down directions as x, y, z.
 */
import { RESTING_TABLE_DOWNS, RESTING_TABLE_LIBRARY } from './resting-table-data.js';
import type { Vec3 } from './types.js';

/** Per library index, the down directions (null: the fallback pose), decoded on first use. */
let decoded: (Vec3[] | null)[] | null = null;

/**
 * The tabulated down directions of library object `index` under library
 * version `library`: null when its search found no stable pose, undefined
 * when the table is for another library version or has no such index.
 */
export function restingDownsOf(library: string, index: number): Vec3[] | null | undefined {
  if (library !== RESTING_TABLE_LIBRARY) return undefined;
  decoded ??= decodeRestingDowns(RESTING_TABLE_DOWNS);
  return index >= 0 && index < decoded.length ? decoded[index] : undefined;
}

/** The table's text for each library object's down directions (null: the fallback pose), in library order. */
export function encodeRestingDowns(objects: readonly (readonly Vec3[] | null)[]): string {
  const values: number[] = [];
  for (const downs of objects) {
    values.push(downs?.length ?? 0);
    for (const n of downs ?? []) values.push(n[0], n[1], n[2]);
  }
  const view = new DataView(new ArrayBuffer(values.length * 8));
  values.forEach((x, i) => view.setFloat64(i * 8, x, true));
  let binary = '';
  const bytes = new Uint8Array(view.buffer);
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
  return btoa(binary);
}

function decodeRestingDowns(text: string): (Vec3[] | null)[] {
  const binary = atob(text);
  const view = new DataView(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) view.setUint8(i, binary.charCodeAt(i));
  const out: (Vec3[] | null)[] = [];
  for (let at = 0; at < view.byteLength; ) {
    const count = view.getFloat64(at, true);
    at += 8;
    if (count === 0) {
      out.push(null);
      continue;
    }
    const downs: Vec3[] = [];
    for (let k = 0; k < count; k++, at += 24) downs.push([view.getFloat64(at, true), view.getFloat64(at + 8, true), view.getFloat64(at + 16, true)]);
    out.push(downs);
  }
  return out;
}
