import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectSpec } from '../src/objects/index.js';
import { Rng } from '../src/random/index.js';
import { createNodeRenderer, projectToPixel, type Renderer } from '../src/render/node.js';
import { defaultScene, type SceneConfig } from '../src/scene/index.js';
import type { BodyPose, SceneSnapshot, Vec3 } from '../src/sim/types.js';

type RGB = [number, number, number];

/** An axis-aligned box centred on its origin, as a one-part convex object. */
function box(id: string, size: Vec3, color: RGB): ObjectSpec {
  const [hx, hy, hz] = size.map((s) => s / 2);
  const vertices: number[] = [];
  // vertex index = ix + 2·iy + 4·iz
  for (const z of [-hz, hz]) for (const y of [-hy, hy]) for (const x of [-hx, hx]) vertices.push(x, y, z);
  const indices = [0, 2, 3, 0, 3, 1, 4, 5, 7, 4, 7, 6, 0, 1, 5, 0, 5, 4, 2, 6, 7, 2, 7, 3, 0, 4, 6, 0, 6, 2, 1, 3, 7, 1, 7, 5];
  return { id, kind: 'box', split: 'train', parts: [{ vertices: new Float32Array(vertices), indices: new Uint32Array(indices) }], mass: 0.1, friction: 0.8, color };
}

const upright = (position: Vec3): BodyPose => ({ position, quaternion: [0, 0, 0, 1] });

/** Gripper out of the way, high and to the side, so it cannot cover the bin centre. */
function snapshot(objects: BodyPose[], gripper: Partial<SceneSnapshot['gripper']> = {}): SceneSnapshot {
  return { objects, gripper: { position: [0.18, 0.18, 0.3], yaw: 0, aperture: 0.1, ...gripper } };
}

/** Pixels that are strongly red: the test boxes are pure red, nothing else in the scene is. */
function redPixels(img: Uint8Array, width: number): { count: number; u: number; v: number } {
  let count = 0;
  let su = 0;
  let sv = 0;
  for (let p = 0; p < img.length / 3; p++) {
    const [r, g, b] = [img[3 * p], img[3 * p + 1], img[3 * p + 2]];
    if (r > 80 && r > 3 * g && r > 3 * b) {
      count++;
      su += (p % width) + 0.5;
      sv += Math.floor(p / width) + 0.5;
    }
  }
  return { count, u: su / count, v: sv / count };
}

const RED: RGB = [1, 0, 0];
const scene = defaultScene();
const objects = [box('red', [0.06, 0.06, 0.06], RED), box('grey', [0.05, 0.08, 0.04], [0.5, 0.5, 0.5])];
let renderer: Renderer;

beforeAll(async () => {
  renderer = await createNodeRenderer(scene, objects);
});
afterAll(() => renderer?.dispose());

describe('Renderer (64×64 default)', () => {
  const at = (x: number, y: number): SceneSnapshot => snapshot([upright([x, y, 0.03]), upright([-0.15, 0.12, 0.02])]);

  it('draws a non-blank image with several colours', () => {
    const img = renderer.render(at(0, 0));
    expect(img.length).toBe(64 * 64 * 3);
    let sum = 0;
    let sumSq = 0;
    for (const x of img) {
      sum += x;
      sumSq += x * x;
    }
    const mean = sum / img.length;
    expect(sumSq / img.length - mean * mean).toBeGreaterThan(200);
    const colours = new Set<number>();
    for (let p = 0; p < img.length; p += 3) colours.add((img[p] << 16) | (img[p + 1] << 8) | img[p + 2]);
    expect(colours.size).toBeGreaterThan(10);
  });

  it('puts an object where projectToPixel says, and moves it with the object', () => {
    for (const [x, y] of [
      [0, 0],
      [0.12, 0.1],
      [-0.15, -0.1],
    ] as const) {
      const red = redPixels(renderer.render(at(x, y)), 64);
      const [u, v] = projectToPixel(scene, [x, y, 0.03]);
      expect(red.count).toBeGreaterThan(6);
      expect(Math.hypot(red.u - u, red.v - v)).toBeLessThan(2.5);
    }
    const left = redPixels(renderer.render(at(-0.15, 0)), 64);
    const right = redPixels(renderer.render(at(0.15, 0)), 64);
    expect(right.u - left.u).toBeGreaterThan(10);
  });

  it('projects the bin centre near the image centre and the near wall below the far wall', () => {
    const [u, v] = projectToPixel(scene, [0, 0, 0]);
    expect(Math.abs(u - 32)).toBeLessThan(1e-6);
    expect(Math.abs(v - 32)).toBeLessThan(3);
    expect(projectToPixel(scene, [0, -0.25, 0])[1]).toBeGreaterThan(projectToPixel(scene, [0, 0.25, 0])[1]);
    expect(projectToPixel(scene, [0, -2, 0]).every(Number.isNaN)).toBe(true);
  });

  it('gives identical bytes for the same snapshot (also from a second renderer), and different bytes when the gripper moves', async () => {
    const a = renderer.render(at(0.05, 0.02));
    renderer.render(at(-0.1, 0.1));
    const b = renderer.render(at(0.05, 0.02));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const other = await createNodeRenderer(scene, objects);
    try {
      expect(Buffer.from(other.render(at(0.05, 0.02))).equals(Buffer.from(a))).toBe(true);
    } finally {
      other.dispose();
    }
    const closed = renderer.render(snapshot([upright([0.05, 0.02, 0.03]), upright([-0.15, 0.12, 0.02])], { aperture: 0 }));
    expect(Buffer.from(a).equals(Buffer.from(closed))).toBe(false);
  });

  it('draws the gripper at its pose: palm and fingers where projected, nothing below the fingertips', () => {
    const g = scene.gripper;
    const aperture = 0.1;
    const away = renderer.render(at(-0.15, -0.12)).slice();
    for (const [x, y, z, yaw] of [
      [0.05, 0.05, 0.1, 0],
      [-0.1, 0.08, 0.2, 1.2],
    ] as const) {
      const img = renderer.render(snapshot([upright([-0.15, -0.12, 0.03]), upright([-0.15, 0.12, 0.02])], { position: [x, y, z], yaw, aperture }));
      const changedNear = (point: Vec3, radius: number): boolean => {
        const [u, v] = projectToPixel(scene, point).map(Math.floor);
        for (let j = v - radius; j <= v + radius; j++) {
          for (let i = u - radius; i <= u + radius; i++) {
            const p = 3 * (j * 64 + i);
            if (Math.abs(img[p] - away[p]) + Math.abs(img[p + 1] - away[p + 1]) + Math.abs(img[p + 2] - away[p + 2]) > 30) return true;
          }
        }
        return false;
      };
      // Finger centres: half a thickness outside the pads, along the palm's local x axis.
      const off = (aperture + g.fingerThickness) / 2;
      const finger = (side: number): Vec3 => [x + side * off * Math.cos(yaw), y + side * off * Math.sin(yaw), z + g.fingerLength / 2];
      expect(changedNear([x, y, z + g.fingerLength + g.palmHeight / 2], 0)).toBe(true);
      expect(changedNear(finger(-1), 1)).toBe(true);
      expect(changedNear(finger(1), 1)).toBe(true);
      expect(changedNear([x, y, z - 0.04], 1)).toBe(false);
    }
  });

  it('reads into a caller buffer and rejects a snapshot with the wrong object count', () => {
    const out = new Uint8Array(64 * 64 * 3);
    expect(renderer.render(at(0, 0), out)).toBe(out);
    expect(() => renderer.draw(snapshot([upright([0, 0, 0.03])]))).toThrow(/1 objects/);
  });

  it('keeps GPU geometries flat over many episodes drawing from the same objects', () => {
    const library = Array.from({ length: 5 }, (_, k) => box(`b${k}`, [0.03 + 0.01 * k, 0.04, 0.05], RED));
    renderer.setObjects(library);
    renderer.render(snapshot(library.map((_, k) => upright([0.05 * k - 0.1, 0, 0.03]))));
    renderer.setObjects(objects);
    renderer.render(at(0, 0));
    const before = renderer.webgl.info.memory.geometries;
    for (let i = 0; i < 40; i++) {
      const specs = library.slice(i % 5, 1 + (i % 5) + (i % 3));
      renderer.setObjects(specs, new Rng(i));
      renderer.render(snapshot(specs.map((_, k) => upright([0.05 * k - 0.1, 0, 0.03]))));
    }
    renderer.setObjects(objects);
    renderer.render(at(0, 0));
    // One geometry per distinct object, uploaded once and reused by later episodes.
    expect(renderer.webgl.info.memory.geometries).toBe(before);
    expect(renderer.webgl.info.memory.textures).toBe(1);
  });
});

describe('randomization', () => {
  const jittery: SceneConfig = defaultScene({ randomize: { cameraPosition: 0.03, cameraTarget: 0.02, lighting: 0.5, colors: 0.5 } });
  const snap = snapshot([upright([0, 0, 0.03]), upright([-0.15, 0.12, 0.02])]);
  let r: Renderer;
  beforeAll(async () => {
    r = await createNodeRenderer(jittery, objects);
  });
  afterAll(() => r?.dispose());

  const frame = (seed: number | null): Buffer => {
    r.setObjects(objects, seed === null ? undefined : new Rng(seed));
    return Buffer.from(r.render(snap));
  };

  it('is deterministic for a seed, differs between seeds, and is off without an rng', () => {
    const a = frame(7);
    const b = frame(8);
    const a2 = frame(7);
    expect(a.equals(a2)).toBe(true);
    expect(a.equals(b)).toBe(false);
    expect(frame(null).equals(a)).toBe(false);
  });

  it('moves the camera: the renderer projection follows the jittered pose', async () => {
    const cameraOnly = defaultScene({ randomize: { cameraPosition: 0.05, cameraTarget: 0.03 } });
    const moved = await createNodeRenderer(cameraOnly, objects);
    try {
      moved.setObjects(objects, new Rng(3));
      const red = redPixels(moved.render(snap), 64);
      const [u, v] = moved.projectToPixel([0, 0, 0.03]);
      const [u0, v0] = projectToPixel(cameraOnly, [0, 0, 0.03]);
      expect(Math.hypot(red.u - u, red.v - v)).toBeLessThan(2.5);
      expect(Math.hypot(u - u0, v - v0)).toBeGreaterThan(1);
    } finally {
      moved.dispose();
    }
  });

  it('with all jitters at zero, a seeded episode looks exactly as configured', async () => {
    const plain = await createNodeRenderer(scene, objects);
    try {
      plain.setObjects(objects);
      const base = Buffer.from(plain.render(snap));
      plain.setObjects(objects, new Rng(11));
      expect(Buffer.from(plain.render(snap)).equals(base)).toBe(true);
    } finally {
      plain.dispose();
    }
  });
});

describe('sizes', () => {
  it('renders 472×472 and non-square images with objects where projected', async () => {
    for (const [width, height] of [
      [472, 472],
      [160, 96],
    ]) {
      const sized = defaultScene({ camera: { width, height } });
      const r = await createNodeRenderer(sized, objects);
      try {
        const img = r.render(snapshot([upright([0.08, 0.05, 0.03]), upright([-0.15, 0.12, 0.02])]));
        expect(img.length).toBe(width * height * 3);
        const red = redPixels(img, width);
        const [u, v] = projectToPixel(sized, [0.08, 0.05, 0.03]);
        expect(Math.hypot(red.u - u, red.v - v)).toBeLessThan(0.04 * Math.max(width, height));
      } finally {
        r.dispose();
      }
    }
  });
});
