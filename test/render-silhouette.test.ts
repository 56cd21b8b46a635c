/**
 * The renderer draws each object part's mesh while the sim collides Rapier
 * shapes (native cuboids, cylinders and capsules, hulls otherwise). This checks
 * they agree where it shows: the pixels an object covers in the rendered image
 * are the pixels its colliders cover, projected through the same camera.
 */
import RAPIER from '@dimforge/rapier3d-compat';
import { PerspectiveCamera, Quaternion, Vector3 } from 'three';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectsForSplit, type ObjectSpec } from '../src/objects/index.js';
import { aimCamera, configuredPose, projectWithCamera } from '../src/render/camera.js';
import { createNodeRenderer, type Renderer } from '../src/render/node.js';
import { defaultScene } from '../src/scene/index.js';
import { partColliders, type BodyPose, type PartContact } from '../src/sim/index.js';

const SIZE = 128;
// A narrow field of view on the bin centre, so objects cover thousands of pixels.
const scene = defaultScene({ camera: { width: SIZE, height: SIZE, fov: 12, target: [0, 0, 0.1] } });
let renderer: Renderer;

beforeAll(async () => {
  await RAPIER.init();
  renderer = await createNodeRenderer(scene, []);
});
afterAll(() => renderer?.dispose());

const away = { position: [10, 10, 10] as [number, number, number], yaw: 0, aperture: 0.1 };

/** Pixels the object covers: where the image with it differs from the image without it (the renderer casts no shadows). [H*W] */
function drawnMask(pose: BodyPose): Uint8Array {
  const withObject = renderer.render({ objects: [pose], gripper: away }).slice();
  const without = renderer.render({ objects: [{ position: [10, 10, 10], quaternion: [0, 0, 0, 1] }], gripper: away });
  const mask = new Uint8Array(SIZE * SIZE);
  for (let p = 0; p < mask.length; p++) {
    mask[p] = withObject[3 * p] !== without[3 * p] || withObject[3 * p + 1] !== without[3 * p + 1] || withObject[3 * p + 2] !== without[3 * p + 2] ? 1 : 0;
  }
  return mask;
}

/**
 * Surface points of a collider as Rapier holds it (its shape type, its sizes,
 * its hull vertices, its pose in the world), dense enough that their convex
 * hull is the solid to well under a pixel. Built from what Rapier reports, not
 * from the ObjectSpec, so it checks the collider itself. (Rapier's ray casts
 * cannot be used: against hulls and cylinders they report hits up to 4.5 mm
 * outside the shape for oblique rays.) [N][3]
 */
function colliderPoints(c: RAPIER.Collider): Vector3[] {
  const local: Vector3[] = [];
  const around = 96;
  const ring = (r: number, y: number) => {
    for (let k = 0; k < around; k++) local.push(new Vector3(r * Math.cos((2 * Math.PI * k) / around), y, r * Math.sin((2 * Math.PI * k) / around)));
  };
  // A sphere of radius b around each point of `core`: the Minkowski sum a rounded shape is.
  const dilate = (core: Vector3[], b: number): Vector3[] => {
    if (b === 0) return core;
    const out: Vector3[] = [];
    for (const p of core) for (let i = 0; i <= 6; i++) for (let k = 0; k < 12; k++) {
      const lat = (Math.PI * i) / 6 - Math.PI / 2;
      out.push(new Vector3(p.x + b * Math.cos(lat) * Math.cos((Math.PI * k) / 6), p.y + b * Math.sin(lat), p.z + b * Math.cos(lat) * Math.sin((Math.PI * k) / 6)));
    }
    return out;
  };
  let points: Vector3[];
  switch (c.shapeType()) {
    case RAPIER.ShapeType.Cuboid: {
      const h = c.halfExtents()!;
      points = [];
      for (const sx of [-1, 1]) for (const sy of [-1, 1]) for (const sz of [-1, 1]) points.push(new Vector3(sx * h.x, sy * h.y, sz * h.z));
      break;
    }
    case RAPIER.ShapeType.Cylinder:
    case RAPIER.ShapeType.RoundCylinder: {
      const b = c.shapeType() === RAPIER.ShapeType.RoundCylinder ? c.roundRadius() : 0;
      ring(c.radius(), -c.halfHeight());
      ring(c.radius(), c.halfHeight());
      points = b > 0 ? local.filter((_, i) => i % 4 === 0).flatMap((p) => dilate([p], b)) : local;
      if (b > 0) {
        local.length = 0;
        ring(c.radius() + b, -c.halfHeight());
        ring(c.radius() + b, c.halfHeight());
        points.push(...local);
      }
      break;
    }
    case RAPIER.ShapeType.Capsule: {
      const r = c.radius();
      for (let i = 0; i <= 24; i++) {
        const lat = (Math.PI * i) / 24 - Math.PI / 2;
        ring(r * Math.cos(lat), r * Math.sin(lat) + (lat < 0 ? -1 : 1) * c.halfHeight());
      }
      points = local;
      break;
    }
    case RAPIER.ShapeType.ConvexPolyhedron: {
      const v = c.vertices();
      points = [];
      for (let i = 0; i < v.length; i += 3) points.push(new Vector3(v[i], v[i + 1], v[i + 2]));
      break;
    }
    default:
      throw new Error(`unexpected collider shape ${c.shapeType()}`);
  }
  const t = c.translation();
  const q = c.rotation();
  const rotation = new Quaternion(q.x, q.y, q.z, q.w);
  // Hull vertices are already in the collider frame; the others were built in it above.
  return points.map((p) => p.applyQuaternion(rotation).add(new Vector3(t.x, t.y, t.z)));
}

/** Counter-clockwise convex hull of 2-D points (monotone chain). */
function hull2d(points: Array<[number, number]>): Array<[number, number]> {
  const pts = points.slice().sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const cross = (o: number[], a: number[], b: number[]) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const half = (list: Array<[number, number]>) => {
    const out: Array<[number, number]> = [];
    for (const p of list) {
      while (out.length >= 2 && cross(out[out.length - 2], out[out.length - 1], p) <= 0) out.pop();
      out.push(p);
    }
    return out.slice(0, -1);
  };
  return half(pts).concat(half(pts.slice().reverse()));
}

/** Pixels whose centre lies inside the projection of one of the object's colliders that touch `who`. [H*W] */
function colliderMask(spec: ObjectSpec, pose: BodyPose, who: Exclude<PartContact, 'all'>, scale = 1): Uint8Array {
  const world = new RAPIER.World({ x: 0, y: 0, z: 0 });
  const [x, y, z] = pose.position;
  const [qx, qy, qz, qw] = pose.quaternion;
  const body = world.createRigidBody(RAPIER.RigidBodyDesc.fixed().setTranslation(x, y, z).setRotation({ x: qx, y: qy, z: qz, w: qw }));
  const parts = scale === 1 ? spec.parts : spec.parts.map((p) => ({ vertices: p.vertices.map((v) => v * scale), indices: p.indices }));
  const camera = new PerspectiveCamera();
  aimCamera(camera, scene.camera, configuredPose(scene.camera));
  const outlines: Array<Array<[number, number]>> = [];
  for (const part of parts) {
    for (const c of partColliders(part, spec.id)) {
      if (c.contact !== 'all' && c.contact !== who) continue;
      const collider = world.createCollider(c.desc, body);
      outlines.push(hull2d(colliderPoints(collider).map((p) => projectWithCamera(camera, SIZE, SIZE, [p.x, p.y, p.z]))));
    }
  }
  world.free();
  const inside = (hull: Array<[number, number]>, u: number, v: number) =>
    hull.every((a, i) => {
      const b = hull[(i + 1) % hull.length];
      return (b[0] - a[0]) * (v - a[1]) - (b[1] - a[1]) * (u - a[0]) >= 0;
    });
  const mask = new Uint8Array(SIZE * SIZE);
  for (let j = 0; j < SIZE; j++) for (let i = 0; i < SIZE; i++) if (outlines.some((h) => inside(h, i + 0.5, j + 0.5))) mask[j * SIZE + i] = 1;
  return mask;
}

/** Pixels set in exactly one mask, over the pixels set in `a`. */
function mismatch(a: Uint8Array, b: Uint8Array): number {
  let diff = 0;
  let area = 0;
  for (let p = 0; p < a.length; p++) {
    diff += a[p] ^ b[p];
    area += a[p];
  }
  return diff / area;
}

function pick(kind: string, test: (o: ObjectSpec) => boolean = () => true): ObjectSpec {
  const found = objectsForSplit('train').find((o) => o.kind === kind && test(o));
  if (!found) throw new Error(`no ${kind} in the train split`);
  return { ...found, color: [1, 0, 0] };
}

// A tilt that shows round sides, caps and box faces at once.
// High enough above the floor that the floor hides no part of it.
const tilted: BodyPose = { position: [0, 0, 0.1], quaternion: [0.2629, 0.3051, 0.1266, 0.9061] };
const hasCylinder = (o: ObjectSpec) => o.parts.some((p) => p.primitive?.shape.kind === 'cylinder');
const objects: ObjectSpec[] = [pick('cylinder'), pick('capsule'), pick('box'), pick('compound', hasCylinder), pick('U'), pick('blob')];

describe('rendered silhouette vs collider', () => {
  it.each(objects.map((o) => [o.kind, o] as const))('%s: the drawn pixels are the pixels its colliders cover', (_kind, spec) => {
    renderer.setObjects([spec]);
    const drawn = drawnMask(tilted);
    const area = drawn.reduce((s, v) => s + v, 0);
    expect(area).toBeGreaterThan(300);
    // What the fingers touch, and what the floor and other objects touch (the same shapes but for cylinders).
    for (const who of ['gripper', 'environment'] as const) {
      expect(mismatch(drawn, colliderMask(spec, tilted, who)), who).toBeLessThan(0.03);
    }
    // The check has teeth: colliders 5 % too large already disagree.
    expect(mismatch(drawn, colliderMask(spec, tilted, 'environment', 1.05))).toBeGreaterThan(0.05);
  });
});
