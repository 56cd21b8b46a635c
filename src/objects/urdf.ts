/**
 * What pincer reads from a URDF describing one graspable object (the way
 * pybullet's object sets and YCB-style sets ship them): the shapes of every
 * link placed through its joint chain, the total mass, the friction and a
 * colour. Pure: mesh files are only named here; import.ts reads them.
 *
 * - Shapes: each link's `<collision>` elements, or its `<visual>` ones when it
 *   has no collision; geometry `<mesh filename scale>`, `<box size>`,
 *   `<cylinder radius length>` or `<sphere radius>`; `<origin xyz rpy>` honoured.
 * - Joints of any type are taken at their zero position (an object is rigid).
 * - Mass: the sum of `<inertial><mass value>` over links; absent means unknown.
 * - Friction: pybullet's `<contact><lateral_friction value>`, default 0.8.
 * - Colour: the first `<visual><material>` colour (inline or a named robot-level material).
 */
import { ObjectImportError } from './errors.js';
import { compose, fromXyzRpy, IDENTITY, type Affine } from './transform.js';
import { child, childrenNamed, parseXml, type XmlElement } from './xml.js';

const SHAPES = ['mesh', 'box', 'cylinder', 'sphere'];

/** pybullet's default lateral friction. */
export const DEFAULT_FRICTION = 0.8;

export type UrdfGeometry =
  | { type: 'mesh'; filename: string; scale: [number, number, number] }
  | { type: 'box'; size: [number, number, number] }
  | { type: 'cylinder'; radius: number; length: number }
  | { type: 'sphere'; radius: number };

export interface UrdfShape {
  geometry: UrdfGeometry;
  /** Placement in the root link's frame. */
  transform: Affine;
}

export interface UrdfObject {
  /** `<robot name>`. */
  name: string;
  shapes: UrdfShape[];
  /** Total mass, kg, when the file gives one. */
  mass?: number;
  friction: number;
  /** sRGB colour from the file, if any, each in [0, 1]. */
  color?: [number, number, number];
}

/** Interpret URDF `text` read from `file`. */
export function readUrdf(text: string, file: string): UrdfObject {
  const robot = parseXml(text, file);
  const fail = (element: XmlElement, detail: string): never => {
    throw new ObjectImportError(file, `line ${element.line}: ${detail}`);
  };
  if (robot.name !== 'robot') fail(robot, `root element is <${robot.name}>, expected <robot>`);

  const numbers = (element: XmlElement, attr: string, count: number, fallback?: number[]): number[] => {
    const raw = element.attributes[attr];
    if (raw === undefined) {
      if (fallback) return fallback;
      return fail(element, `<${element.name}> needs a ${attr} attribute`);
    }
    const values = raw.trim().split(/[\s,]+/).map(Number);
    if (values.length !== count || !values.every(Number.isFinite)) fail(element, `<${element.name} ${attr}="${raw}"> needs ${count} number${count > 1 ? 's' : ''}`);
    return values;
  };
  const originOf = (element: XmlElement): Affine => {
    const origin = child(element, 'origin');
    return origin ? fromXyzRpy(numbers(origin, 'xyz', 3, [0, 0, 0]), numbers(origin, 'rpy', 3, [0, 0, 0])) : IDENTITY;
  };

  const links = childrenNamed(robot, 'link');
  if (!links.length) fail(robot, 'no <link> elements');
  const linkNames = new Set(links.map((l) => l.attributes.name));

  // child link -> (parent link, joint origin)
  const parentOf = new Map<string, { parent: string; origin: Affine }>();
  for (const joint of childrenNamed(robot, 'joint')) {
    const parent = child(joint, 'parent')?.attributes.link;
    const childLink = child(joint, 'child')?.attributes.link;
    if (!parent || !childLink) fail(joint, 'joint needs <parent link> and <child link>');
    if (!linkNames.has(parent!) || !linkNames.has(childLink!)) fail(joint, `joint refers to an unknown link`);
    parentOf.set(childLink!, { parent: parent!, origin: originOf(joint) });
  }
  const placed = new Map<string, Affine>();
  const linkTransform = (name: string, depth = 0): Affine => {
    const known = placed.get(name);
    if (known) return known;
    if (depth > links.length) throw new ObjectImportError(file, `joints form a cycle through link '${name}'`);
    const up = parentOf.get(name);
    const t = up ? compose(linkTransform(up.parent, depth + 1), up.origin) : IDENTITY;
    placed.set(name, t);
    return t;
  };

  const materials = new Map<string, XmlElement>();
  for (const m of childrenNamed(robot, 'material')) if (m.attributes.name) materials.set(m.attributes.name, m);
  const colorOf = (material: XmlElement | undefined): [number, number, number] | undefined => {
    if (!material) return undefined;
    const c = child(material, 'color') ?? (material.attributes.name ? child(materials.get(material.attributes.name) ?? material, 'color') : undefined);
    if (!c) return undefined;
    const rgba = numbers(c, 'rgba', 4);
    return [rgba[0], rgba[1], rgba[2]].map((v) => Math.min(1, Math.max(0, v))) as [number, number, number];
  };

  const shapes: UrdfShape[] = [];
  let mass: number | undefined;
  let friction: number | undefined;
  let color: [number, number, number] | undefined;
  for (const link of links) {
    const linkT = linkTransform(link.attributes.name);
    const collisions = childrenNamed(link, 'collision');
    const visuals = childrenNamed(link, 'visual');
    for (const element of collisions.length ? collisions : visuals) {
      const geometry = child(element, 'geometry');
      if (!geometry) fail(element, `<${element.name}> has no <geometry>`);
      shapes.push({ geometry: readGeometry(geometry!), transform: compose(linkT, originOf(element)) });
    }
    for (const visual of visuals) color ??= colorOf(child(visual, 'material'));
    const m = child(link, 'inertial') && child(child(link, 'inertial')!, 'mass');
    if (m) {
      const [value] = numbers(m, 'value', 1);
      if (!(value > 0)) fail(m, `mass must be positive, got ${value}`);
      mass = (mass ?? 0) + value;
    }
    const lateral = child(link, 'contact') && child(child(link, 'contact')!, 'lateral_friction');
    if (lateral && friction === undefined) {
      [friction] = numbers(lateral, 'value', 1);
      if (!(friction >= 0)) fail(lateral, `friction must be >= 0, got ${friction}`);
    }
  }
  if (!shapes.length) fail(robot, 'no link has <collision> or <visual> geometry');
  return { name: robot.attributes.name ?? '', shapes, mass, friction: friction ?? DEFAULT_FRICTION, color };

  function readGeometry(geometry: XmlElement): UrdfGeometry {
    // Some exporters put stray elements (an <origin>) inside <geometry>; the shape is the first known one.
    const shape = geometry.children.find((c) => SHAPES.includes(c.name)) ?? geometry.children[0];
    if (!shape) return fail(geometry, '<geometry> is empty');
    switch (shape.name) {
      case 'mesh': {
        const filename = shape.attributes.filename;
        if (!filename) fail(shape, '<mesh> needs a filename attribute');
        const raw = shape.attributes.scale?.trim().split(/[\s,]+/);
        // A single number scales uniformly (some exporters write scale="0.01").
        const scale = raw && raw.length === 1 ? [1, 1, 1].map(() => numbers(shape, 'scale', 1)[0]) : numbers(shape, 'scale', 3, [1, 1, 1]);
        if (!scale.every((s) => s !== 0)) fail(shape, 'mesh scale must not be zero');
        return { type: 'mesh', filename: filename!, scale: scale as [number, number, number] };
      }
      case 'box': {
        const size = numbers(shape, 'size', 3);
        if (!size.every((s) => s > 0)) fail(shape, 'box size must be positive');
        return { type: 'box', size: size as [number, number, number] };
      }
      case 'cylinder': {
        const [radius] = numbers(shape, 'radius', 1);
        const [length] = numbers(shape, 'length', 1);
        if (!(radius > 0 && length > 0)) fail(shape, 'cylinder radius and length must be positive');
        return { type: 'cylinder', radius, length };
      }
      case 'sphere': {
        const [radius] = numbers(shape, 'radius', 1);
        if (!(radius > 0)) fail(shape, 'sphere radius must be positive');
        return { type: 'sphere', radius };
      }
      default:
        return fail(shape, `unsupported geometry <${shape.name}> (expected mesh, box, cylinder or sphere)`);
    }
  }
}
