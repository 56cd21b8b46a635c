/**
 * External objects from disk, as `ObjectSpec`s with ids `ext:<name>` and split
 * 'external'. The only file I/O in this folder.
 *
 * A directory may hold, in any mix:
 * - `<name>/<file>.urdf` (one object per subfolder; its meshes beside it or
 *   below), the layout of pybullet's and YCB-style object sets -> `ext:<name>`
 *   (a subfolder with several URDFs gives `ext:<name>/<file>` each);
 * - `<file>.urdf` directly in the directory -> `ext:<file>`;
 * - `<file>.obj` directly in the directory, unless a URDF there uses it -> `ext:<file>`;
 * - `<name>/` with no URDF but exactly one OBJ -> `ext:<name>`.
 * Other files and folders are ignored.
 *
 * Geometry: an OBJ with several `o`/`g` groups becomes one convex hull per
 * group, otherwise one hull of all its vertices. Objects are recentred on
 * their volume centroid (the sim assumes uniform density, so a URDF's
 * inertial origin and inertia tensor are not used). Mass, when the URDF gives
 * none (or for a bare OBJ), is volume x DEFAULT_DENSITY. Units are metres; an
 * OBJ in other units needs a URDF with `<mesh scale>`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ObjectImportError } from './errors.js';
import { centerOnCentroid } from './hull.js';
import { objParts, parseObj } from './obj.js';
import { boxPart, cylinderPart, spherePart } from './primitives.js';
import { srgbToLinear } from './procedural.js';
import { transformPart } from './transform.js';
import type { ConvexPart, ObjectSpec } from './types.js';
import { DEFAULT_FRICTION, readUrdf, type UrdfShape } from './urdf.js';

/** Density used when a file gives no mass: a mid-range plastic or hardwood, kg/m³. */
export const DEFAULT_DENSITY = 600;
/** Colour of objects whose file gives none, sRGB: an orange that stands out against the bin. */
const DEFAULT_COLOR_SRGB = [0.9, 0.5, 0.1];

/** Every object in `dir` (see the layout above), sorted by id. Throws ObjectImportError naming the file at fault. */
export function loadObjectDir(dir: string): ObjectSpec[] {
  const entries = listDir(dir, dir);
  const found: Array<{ name: string; file: string }> = [];
  const usedMeshes = new Set<string>();
  const topUrdfs = entries.filter((e) => isFile(join(dir, e)) && /\.urdf$/i.test(e));
  for (const e of topUrdfs) {
    found.push({ name: e.replace(/\.urdf$/i, ''), file: join(dir, e) });
    for (const shape of readUrdf(readText(join(dir, e)), join(dir, e)).shapes) {
      if (shape.geometry.type === 'mesh') {
        const path = meshCandidates(shape.geometry.filename, join(dir, e)).find((p) => existsSync(p));
        if (path) usedMeshes.add(resolve(path));
      }
    }
  }
  for (const e of entries) {
    const path = join(dir, e);
    if (isFile(path) && /\.obj$/i.test(e) && !usedMeshes.has(resolve(path))) found.push({ name: e.replace(/\.obj$/i, ''), file: path });
    if (!isDirectory(path)) continue;
    const inner = listDir(path, path);
    const urdfs = inner.filter((f) => /\.urdf$/i.test(f) && isFile(join(path, f)));
    if (urdfs.length === 1) found.push({ name: e, file: join(path, urdfs[0]) });
    else if (urdfs.length > 1) for (const f of urdfs) found.push({ name: `${e}/${f.replace(/\.urdf$/i, '')}`, file: join(path, f) });
    else {
      const objs = inner.filter((f) => /\.obj$/i.test(f) && isFile(join(path, f)));
      if (objs.length === 1) found.push({ name: e, file: join(path, objs[0]) });
    }
  }
  if (!found.length) throw new ObjectImportError(dir, 'no objects found (expected .urdf or .obj files, or subfolders holding them)');
  const seen = new Map<string, string>();
  for (const { name, file } of found) {
    const other = seen.get(name);
    if (other) throw new ObjectImportError(file, `object name '${name}' is also used by ${other}`);
    seen.set(name, file);
  }
  return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(({ name, file }) => loadObjectFile(file, name));
}

/** One object from a `.urdf` or `.obj` file; `name` defaults to the file name without extension. */
export function loadObjectFile(file: string, name = basename(file).replace(/\.(urdf|obj)$/i, '')): ObjectSpec {
  const ext = extname(file).toLowerCase();
  if (ext === '.obj') {
    const parts = objParts(parseObj(readText(file), file), file);
    return finish(name, file, parts, undefined, DEFAULT_FRICTION, undefined);
  }
  if (ext !== '.urdf') throw new ObjectImportError(file, `unsupported object file type '${ext}' (expected .urdf or .obj)`);
  const urdf = readUrdf(readText(file), file);
  const parts = urdf.shapes.flatMap((shape) => shapeParts(shape, file));
  return finish(name, file, parts, urdf.mass, urdf.friction, urdf.color);
}

function finish(
  name: string,
  file: string,
  rawParts: ConvexPart[],
  mass: number | undefined,
  friction: number,
  srgb: [number, number, number] | undefined,
): ObjectSpec {
  const { parts, volume } = centerOnCentroid(rawParts);
  const c = srgb ?? DEFAULT_COLOR_SRGB;
  return {
    id: `ext:${name}`,
    kind: 'mesh',
    split: 'external',
    parts,
    mass: mass ?? volume * DEFAULT_DENSITY,
    friction,
    color: [srgbToLinear(c[0]), srgbToLinear(c[1]), srgbToLinear(c[2])],
    source: file,
  };
}

/** Convex parts of one URDF shape, in the object frame. */
function shapeParts(shape: UrdfShape, urdfFile: string): ConvexPart[] {
  const g = shape.geometry;
  switch (g.type) {
    case 'box':
      return [transformPart(boxPart([-g.size[0] / 2, -g.size[1] / 2, -g.size[2] / 2], g.size), shape.transform)];
    case 'cylinder':
      return [transformPart(cylinderPart(g.radius, g.length), shape.transform)];
    case 'sphere':
      return [transformPart(spherePart(g.radius), shape.transform)];
    case 'mesh': {
      if (extname(g.filename.replace(/[?#].*$/, '')).toLowerCase() !== '.obj') {
        throw new ObjectImportError(urdfFile, `mesh '${g.filename}': unsupported format (only .obj meshes are read)`);
      }
      const candidates = meshCandidates(g.filename, urdfFile);
      const path = candidates.find((p) => existsSync(p));
      if (!path) throw new ObjectImportError(urdfFile, `mesh file not found: '${g.filename}' (looked for ${candidates[0]})`);
      return objParts(parseObj(readText(path), path), path, g.scale, shape.transform);
    }
  }
}

/**
 * Where a URDF mesh reference may live, most likely first. Relative paths are
 * relative to the URDF. `package://pkg/rest` has no ROS package index to
 * consult here, so it is looked up as `rest` beside the URDF, then as
 * `pkg/rest` and `rest` in each folder above it.
 */
function meshCandidates(filename: string, urdfFile: string): string[] {
  const base = dirname(urdfFile);
  if (filename.startsWith('file://')) return [fileURLToPath(filename)];
  if (isAbsolute(filename)) return [filename];
  const pkg = /^package:\/\/([^/]+)\/(.*)$/.exec(filename);
  if (!pkg) return [join(base, filename)];
  const [, name, rest] = pkg;
  const out = [join(base, rest)];
  for (let dir = base, up = 0; up < 4; up++) {
    out.push(join(dir, name, rest));
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
    out.push(join(dir, rest));
  }
  return [...new Set(out)];
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ObjectImportError(file, code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? String(err)})`);
  }
}

function listDir(dir: string, label: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ObjectImportError(label, code === 'ENOENT' ? 'directory not found' : code === 'ENOTDIR' ? 'not a directory' : `cannot read directory (${code ?? String(err)})`);
  }
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}
