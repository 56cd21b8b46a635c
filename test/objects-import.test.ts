import { describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  loadObjectDir,
  loadObjectFile,
  objectExtents,
  ObjectImportError,
  parseObj,
  DEFAULT_FRICTION,
  type ObjectSpec,
} from '../src/objects/node.js';
import { objParts } from '../src/objects/obj.js';
import { readUrdf } from '../src/objects/urdf.js';
import { parseXml } from '../src/objects/xml.js';
import { expectValidHull } from './fixtures/objects/hull-check.js';

const fixtures = fileURLToPath(new URL('./fixtures/objects/', import.meta.url));
const assets = fileURLToPath(new URL('../assets/objects/', import.meta.url));

function expectSize(o: ObjectSpec, size: number[]): void {
  const s = objectExtents(o).size;
  for (let k = 0; k < 3; k++) expect(s[k]).toBeCloseTo(size[k], 6);
}

/** The error thrown by `fn`, which must be an ObjectImportError. */
function importError(fn: () => unknown): ObjectImportError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ObjectImportError);
    return err as ObjectImportError;
  }
  throw new Error('expected an ObjectImportError');
}

describe('loadObjectDir', () => {
  const objects = loadObjectDir(join(fixtures, 'set'));
  const byId = new Map(objects.map((o) => [o.id, o]));

  it('finds URDF subfolders and bare OBJ files, ids ext:<name>, split external', () => {
    expect(objects.map((o) => o.id)).toEqual(['ext:block', 'ext:decomposed', 'ext:pebble']);
    for (const o of objects) {
      expect(o.split).toBe('external');
      expect(o.kind).toBe('mesh');
      for (const part of o.parts) expectValidHull(part, o.id);
      expect(structuredClone(o)).toEqual(o);
    }
  });

  it('honours URDF mesh scale, mass, lateral friction and colour, resolving package:// paths', () => {
    const block = byId.get('ext:block')!;
    expect(block.parts.length).toBe(1);
    expectSize(block, [0.02, 0.04, 0.06]);
    expect(block.mass).toBe(0.123);
    expect(block.friction).toBe(0.55);
    expect(block.color).toEqual([1, 0, 0]);
    expect(block.source).toBe(join(fixtures, 'set', 'block', 'block.urdf'));
  });

  it('makes one hull per OBJ group of the collision mesh, defaulting friction', () => {
    const d = byId.get('ext:decomposed')!;
    expect(d.parts.length).toBe(2);
    expectSize(d, [0.06, 0.02, 0.06]);
    expect(d.mass).toBe(0.2);
    expect(d.friction).toBe(DEFAULT_FRICTION);
    expect(DEFAULT_FRICTION).toBe(0.8);
  });

  it('makes one hull of all vertices for an ungrouped OBJ, with mass from volume and origin at the centroid', () => {
    const p = byId.get('ext:pebble')!;
    expect(p.parts.length).toBe(1);
    expect(p.parts[0].vertices.length).toBe(18);
    expectSize(p, [0.04, 0.04, 0.04]);
    // Octahedron of half-diagonal a = 0.02 m: volume 4a³/3, at 600 kg/m³.
    expect(p.mass).toBeCloseTo(((4 * 0.02 ** 3) / 3) * 600, 9);
  });

  it('recentres on the volume centroid', () => {
    // The L of two 2 cm-thick boxes: foot 6x2x2 cm (24 cm³ at x̄=3), leg 2x2x4 (16 cm³ at x̄=1): x̄ = 2.2 cm from its left end.
    const d = byId.get('ext:decomposed')!;
    expect(objectExtents(d).min[0]).toBeCloseTo(-0.022, 6);
  });

  it('loads the example assets', () => {
    const a = loadObjectDir(assets);
    expect(a.map((o) => o.id)).toEqual(['ext:dumbbell', 'ext:mug', 'ext:wedge']);
    const mug = a[1];
    expect(mug.parts.length).toBe(12);
    expect(mug.mass).toBe(0.25);
    expect(mug.friction).toBe(0.9);
    expectSize(mug, [0.11, 0.08, 0.09]);
    // Dumbbell: joints place the weights at x = ±0.05, each 2 cm thick, 5 cm across.
    expectSize(a[0], [0.12, 0.05, 0.05]);
    expect(a[0].mass).toBeCloseTo(0.4, 12);
    for (const o of a) for (const part of o.parts) expectValidHull(part, o.id);
  });
});

describe('import errors name the file', () => {
  it('a zero-area face in an OBJ', () => {
    const file = join(fixtures, 'bad', 'zero-area.obj');
    const err = importError(() => loadObjectFile(file));
    expect(err.file).toBe(file);
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/line 11: degenerate face with zero area/);
  });

  it('a flat OBJ with no volume', () => {
    const file = join(fixtures, 'bad', 'flat.obj');
    expect(importError(() => loadObjectFile(file)).message).toMatch(new RegExp(`^${file}: degenerate mesh: .*coplanar`));
  });

  it('a missing referenced mesh', () => {
    const file = join(fixtures, 'bad', 'missing-mesh', 'missing.urdf');
    const err = importError(() => loadObjectDir(join(fixtures, 'bad', 'missing-mesh')));
    expect(err.file).toBe(file);
    expect(err.message).toContain('meshes/not-there.obj');
    expect(err.message).toContain('not found');
  });

  it('malformed URDF XML', () => {
    const file = join(fixtures, 'bad', 'malformed.urdf');
    const err = importError(() => loadObjectFile(file));
    expect(err.message).toMatch(new RegExp(`^${file}: malformed XML at line 4: </link> closes <collision> opened at line 3`));
  });

  it('a bad file inside a directory, a missing directory, an empty directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pincer-objects-'));
    try {
      expect(importError(() => loadObjectDir(dir)).message).toMatch(/no objects found/);
      cpSync(join(fixtures, 'set', 'pebble.obj'), join(dir, 'good.obj'));
      cpSync(join(fixtures, 'bad', 'zero-area.obj'), join(dir, 'zero.obj'));
      expect(importError(() => loadObjectDir(dir)).file).toBe(join(dir, 'zero.obj'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(importError(() => loadObjectDir(join(fixtures, 'nope'))).message).toMatch(/nope: directory not found$/);
    expect(importError(() => loadObjectFile(join(fixtures, 'nope.obj'))).message).toMatch(/nope\.obj: file not found$/);
  });
});

describe('OBJ parser', () => {
  it('reads every face reference form and negative indices', () => {
    const mesh = parseObj(
      ['v 0 0 0', 'v 1 0 0', 'v 0 1 0', 'vt 0 0', 'vn 0 0 1', 'f 1/1/1 2/1/1 3/1/1', 'v 0 0 1 1.0', 'f -4//1 -2//1 -3//1', 'f -1/1 -3/1 \\', '  -2/1'].join('\n'),
      'mem.obj',
    );
    expect(mesh.positions).toEqual([0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(mesh.groups).toEqual([{ name: '', faces: [[0, 1, 2], [0, 2, 1], [3, 1, 2]] }]);
  });

  it('splits o and g groups and drops empty ones', () => {
    const mesh = parseObj(['o A', 'g A_mat', 'v 0 0 0', 'v 1 0 0', 'v 0 1 0', 'f 1 2 3', 'g B', 'f 3 2 1', 'o Empty'].join('\n'), 'mem.obj');
    expect(mesh.groups.map((g) => g.name)).toEqual(['A_mat', 'B']);
  });

  it('drops a flat group of a decomposition, but not every group', () => {
    const tetra = (o: number) => ['v 0 0 0', 'v 1 0 0', 'v 0 1 0', 'v 0 0 1'].map((v) => v.replace(/^v (\S+)/, (_, x) => `v ${Number(x) + o}`));
    const flat = ['v 0 0 5', 'v 1 0 5', 'v 0 1 5', 'v 1 1 5'];
    const solid = parseObj(['o a', ...tetra(0), 'f 1 2 3', 'f 1 2 4', 'o sliver', ...flat, 'f 5 6 7', 'f 6 8 7'].join('\n'), 's.obj');
    expect(objParts(solid, 's.obj').length).toBe(1);
    const allFlat = parseObj(['o a', ...flat, 'f 1 2 3', 'f 2 4 3', 'o b', ...flat, 'f 5 6 7', 'f 6 8 7'].join('\n'), 'f.obj');
    expect(() => objParts(allFlat, 'f.obj')).toThrow(/^f\.obj: degenerate mesh: group 'a': all 4 points are coplanar/);
  });

  it('rejects bad references and bad numbers with file and line', () => {
    expect(() => parseObj('v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4', 'a.obj')).toThrow(/^a\.obj: line 4: vertex reference 4 out of range/);
    expect(() => parseObj('v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 -4', 'a.obj')).toThrow(/line 4: vertex reference -4 out of range/);
    expect(() => parseObj('v 0 0 0\nf 0 1 2', 'a.obj')).toThrow(/line 2: bad vertex reference '0'/);
    expect(() => parseObj('v 0 zero 0', 'b.obj')).toThrow(/^b\.obj: line 1: vertex coordinates are not numbers/);
    expect(() => parseObj('# nothing', 'c.obj')).toThrow(/^c\.obj: no vertices/);
    expect(() => parseObj('v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2', 'd.obj')).toThrow(/line 4: face needs at least 3 vertices/);
    expect(() => parseObj('v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 2', 'e.obj')).toThrow(/line 4: degenerate face with zero area/);
  });
});

describe('URDF reader', () => {
  it('tolerates comments, declarations, single quotes, unquoted values and entities', () => {
    const root = parseXml(
      `\ufeff<?xml version="1.0"?>\n<!DOCTYPE robot>\n<!-- c <a> -->\n<robot name='r&amp;d'><link name=base /><![CDATA[ <x> ]]></robot>\n`,
      'x.urdf',
    );
    expect(root.name).toBe('robot');
    expect(root.attributes.name).toBe('r&d');
    expect(root.children[0]).toMatchObject({ name: 'link', attributes: { name: 'base' }, line: 4 });
  });

  it('rejects unclosed and stray tags with the line', () => {
    expect(() => parseXml('<robot>\n<link>\n</robot>', 'u.urdf')).toThrow(/^u\.urdf: malformed XML at line 3: <\/robot> closes <link> opened at line 2/);
    expect(() => parseXml('<robot>\n<link>', 'u.urdf')).toThrow(/<link> opened at line 2 is never closed/);
    expect(() => parseXml('<robot/><robot/>', 'u.urdf')).toThrow(/second root element/);
    expect(() => parseXml('', 'u.urdf')).toThrow(/no root element/);
  });

  it('places shapes through origins and joint chains, and sums masses', () => {
    const urdf = readUrdf(
      `<robot name="t">
        <link name="a"><inertial><mass value="0.1"/></inertial>
          <collision><origin xyz="0 0 0.1" rpy="0 0 1.5707963267948966"/><geometry><box size="0.04 0.02 0.01"/></geometry></collision></link>
        <link name="b"><inertial><mass value="0.2"/></inertial>
          <collision><geometry><sphere radius="0.01"/></geometry></collision></link>
        <joint name="j" type="revolute"><parent link="a"/><child link="b"/><origin xyz="1 2 3"/></joint>
      </robot>`,
      't.urdf',
    );
    expect(urdf.mass).toBeCloseTo(0.3, 12);
    expect(urdf.friction).toBe(0.8);
    const [box, sphere] = urdf.shapes;
    // Yaw of 90°: x goes to y.
    expect(box.transform.map((v) => Math.round(v * 1e9) / 1e9)).toEqual([0, -1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0.1]);
    expect(sphere.transform).toEqual([1, 0, 0, 1, 0, 1, 0, 2, 0, 0, 1, 3]);
  });

  it('reads real-world quirks: commas in xyz, a stray <origin> inside <geometry>, a single-number scale', () => {
    const urdf = readUrdf(
      `<robot name="q"><link name="a"><collision><origin xyz="0,0,0.2" rpy="0 0 0"/><geometry>
        <origin xyz="9 9 9"/><mesh filename="m.obj" scale="0.01"/></geometry></collision></link></robot>`,
      'q.urdf',
    );
    expect(urdf.shapes[0].geometry).toEqual({ type: 'mesh', filename: 'm.obj', scale: [0.01, 0.01, 0.01] });
    expect(urdf.shapes[0].transform[11]).toBe(0.2);
  });

  it('names the element at fault', () => {
    expect(() => readUrdf('<robot><link name="a"><collision><geometry><mesh/></geometry></collision></link></robot>', 'm.urdf')).toThrow(
      /^m\.urdf: line 1: <mesh> needs a filename/,
    );
    expect(() => readUrdf('<robot>\n<link name="a"><collision><geometry><box size="1 2"/></geometry></collision></link></robot>', 'm.urdf')).toThrow(
      /line 2: <box size="1 2"> needs 3 numbers/,
    );
    expect(() => readUrdf('<model/>', 'm.urdf')).toThrow(/root element is <model>/);
    expect(() => readUrdf('<robot><link name="a"/></robot>', 'm.urdf')).toThrow(/no link has <collision> or <visual> geometry/);
    expect(() => readUrdf('<robot><link name="a"><visual><geometry><capsule/></geometry></visual></link></robot>', 'm.urdf')).toThrow(/unsupported geometry <capsule>/);
  });

  it('refuses non-OBJ meshes, naming the URDF', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pincer-objects-'));
    try {
      const urdf = join(dir, 'stl.urdf');
      writeFileSync(urdf, `<robot name="s"><link name="a"><collision><geometry><mesh filename="pebble.stl"/></geometry></collision></link></robot>`);
      expect(importError(() => loadObjectFile(urdf)).message).toMatch(new RegExp(`^${urdf}: mesh 'pebble.stl': unsupported format`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
