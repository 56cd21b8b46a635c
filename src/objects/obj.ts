/**
 * Wavefront OBJ geometry, as far as collision shapes need it: vertex
 * positions, faces (`v`, `v/vt`, `v//vn`, `v/vt/vn`, negative = relative
 * indices) and `o`/`g` groups. Materials, texture coordinates, normals,
 * smoothing groups, lines and points are ignored.
 */
import { convexHull, HullError } from './hull.js';
import { ObjectImportError } from './errors.js';
import { IDENTITY, transformPoints, type Affine } from './transform.js';
import type { ConvexPart } from './types.js';

export interface ObjGroup {
  /** Name from the `o` or `g` line that opened the group ('' before any). */
  name: string;
  /** Faces as 0-based vertex indices, one array per polygon. */
  faces: number[][];
}

export interface ObjMesh {
  /** Vertex positions in file units. [V*3] */
  positions: number[];
  /** Groups in file order, only those with at least one face. */
  groups: ObjGroup[];
}

/**
 * A face whose area is below this fraction of the squared bounding-box
 * diagonal counts as zero-area: only exactly repeated or collinear corners
 * get there, never a real sliver.
 */
const ZERO_AREA = 1e-12;

/** Parse OBJ `text` read from `file`; malformed lines and zero-area faces throw ObjectImportError naming file and line. */
export function parseObj(text: string, file: string): ObjMesh {
  const positions: number[] = [];
  const groups: ObjGroup[] = [];
  let current: ObjGroup = { name: '', faces: [] };
  const faceLines: number[] = [];
  const lines = text.split(/\r?\n/);
  for (let ln = 0; ln < lines.length; ln++) {
    let line = lines[ln];
    const lineNo = ln + 1;
    // A trailing backslash continues the statement on the next line.
    while (line.endsWith('\\') && ln + 1 < lines.length) line = line.slice(0, -1) + ' ' + lines[++ln];
    const hash = line.indexOf('#');
    const tokens = (hash >= 0 ? line.slice(0, hash) : line).trim().split(/\s+/);
    const fail = (detail: string): never => {
      throw new ObjectImportError(file, `line ${lineNo}: ${detail}`);
    };
    switch (tokens[0]) {
      case 'v': {
        if (tokens.length < 4) fail(`vertex needs x y z, got '${line.trim()}'`);
        const xyz = tokens.slice(1, 4).map(Number);
        if (!xyz.every(Number.isFinite)) fail(`vertex coordinates are not numbers: '${line.trim()}'`);
        positions.push(xyz[0], xyz[1], xyz[2]);
        break;
      }
      case 'f': {
        if (tokens.length < 4) fail(`face needs at least 3 vertices, got ${tokens.length - 1}`);
        const nv = positions.length / 3;
        const face = tokens.slice(1).map((token) => {
          const ref = token.split('/')[0];
          const i = /^[+-]?\d+$/.test(ref) ? Number(ref) : NaN;
          if (!Number.isInteger(i) || i === 0) fail(`bad vertex reference '${token}'`);
          // OBJ indices are 1-based; negative ones count back from the last vertex read so far.
          const index = i > 0 ? i - 1 : nv + i;
          if (index < 0 || index >= nv) fail(`vertex reference ${ref} out of range (${nv} vertices so far)`);
          return index;
        });
        current.faces.push(face);
        faceLines.push(lineNo);
        break;
      }
      case 'o':
      case 'g':
        if (current.faces.length) groups.push(current);
        current = { name: tokens.slice(1).join(' '), faces: [] };
        break;
      default:
        // vt, vn, vp, s, usemtl, mtllib, l, p, blank lines and comments carry no collision geometry.
        break;
    }
  }
  if (current.faces.length) groups.push(current);
  if (positions.length === 0) throw new ObjectImportError(file, 'no vertices (not an OBJ mesh?)');
  checkFaceAreas(positions, groups, faceLines, file);
  return { positions, groups };
}

/** Throw for the first face with (near-)zero area, naming its line. */
function checkFaceAreas(p: readonly number[], groups: readonly ObjGroup[], faceLines: readonly number[], file: string): void {
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < p.length; i++) {
    lo[i % 3] = Math.min(lo[i % 3], p[i]);
    hi[i % 3] = Math.max(hi[i % 3], p[i]);
  }
  const diag2 = (hi[0] - lo[0]) ** 2 + (hi[1] - lo[1]) ** 2 + (hi[2] - lo[2]) ** 2;
  let k = 0;
  for (const group of groups) {
    for (const face of group.faces) {
      // Newell's method: twice the polygon's vector area.
      let nx = 0;
      let ny = 0;
      let nz = 0;
      for (let j = 0; j < face.length; j++) {
        const a = 3 * face[j];
        const b = 3 * face[(j + 1) % face.length];
        nx += (p[a + 1] - p[b + 1]) * (p[a + 2] + p[b + 2]);
        ny += (p[a + 2] - p[b + 2]) * (p[a] + p[b]);
        nz += (p[a] - p[b]) * (p[a + 1] + p[b + 1]);
      }
      const area = Math.hypot(nx, ny, nz) / 2;
      if (!(area > ZERO_AREA * diag2)) {
        throw new ObjectImportError(file, `line ${faceLines[k]}: degenerate face with zero area (vertices ${face.map((i) => i + 1).join(' ')})`);
      }
      k++;
    }
  }
}

/**
 * Collision parts of an OBJ mesh: one convex hull per group when there are
 * several (the usual output of a convex decomposition such as V-HACD), else
 * one hull of all vertices. Points are scaled then transformed first.
 * V-HACD output sometimes holds a flat sliver group; it has no volume to
 * collide with, so it is dropped while at least one solid group remains.
 */
export function objParts(mesh: ObjMesh, file: string, scale: readonly [number, number, number] = [1, 1, 1], transform: Affine = IDENTITY): ConvexPart[] {
  const hull = (points: number[], what: string) => convexHull(transformPoints(points, transform, scale), what);
  const degenerate = (err: unknown) => {
    if (err instanceof HullError) return new ObjectImportError(file, `degenerate mesh: ${err.message}`);
    return err;
  };
  if (mesh.groups.length < 2) {
    try {
      return [hull(mesh.positions, 'vertices')];
    } catch (err) {
      throw degenerate(err);
    }
  }
  const parts: ConvexPart[] = [];
  let firstError: unknown;
  mesh.groups.forEach((group, g) => {
    const used = new Set<number>();
    for (const face of group.faces) for (const i of face) used.add(i);
    const points: number[] = [];
    for (const i of used) points.push(mesh.positions[3 * i], mesh.positions[3 * i + 1], mesh.positions[3 * i + 2]);
    try {
      parts.push(hull(points, `group ${group.name ? `'${group.name}'` : g + 1}`));
    } catch (err) {
      if (!(err instanceof HullError)) throw err;
      firstError ??= err;
    }
  });
  if (!parts.length) throw degenerate(firstError);
  return parts;
}
