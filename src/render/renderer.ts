/**
 * The three.js mirror of the grasping scene: table, bin, objects and gripper,
 * drawn from a `SceneSnapshot` into an RGB image. It never steps physics and
 * knows nothing of Node: it is given a canvas (a real one in the browser, a
 * shim around a headless `gl` context in Node; see node.ts).
 *
 * Frames: world metres, z up, bin floor top at z = 0 (src/scene/schema.ts).
 * Image: H×W×3 uint8 sRGB, row-major from the top-left pixel.
 *
 * Geometries and materials live as long as the renderer (bin, table, gripper,
 * and object geometries, cached by spec up to `GEOMETRY_CACHE_LIMIT`); drawing a
 * frame allocates nothing.
 */
import {
  BoxGeometry,
  BufferGeometry,
  type Camera,
  Color,
  Float32BufferAttribute,
  Group,
  LinearSRGBColorSpace,
  Mesh,
  type Object3D,
  PerspectiveCamera,
  Scene,
  ShaderMaterial,
  SRGBColorSpace,
  WebGLRenderer,
  WebGLRenderTarget,
} from 'three';
import type { ObjectSpec } from '../objects/index.js';
import type { Rng } from '../random/index.js';
import type { SceneConfig } from '../scene/index.js';
import { fingerCenterX, gripperGeometry, type SceneSnapshot, type Vec3 } from '../sim/index.js';
import { BACKGROUND_COLOR, baseAppearance, randomAppearance, type Appearance } from './appearance.js';
import { aimCamera, projectWithCamera } from './camera.js';
import { createLighting, createSurfaceMaterial, setAlbedo, type Lighting } from './material.js';

/** Table top size, m: larger than the sim's slab so it fills the view around the bin (only the part under the bin collides). */
const TABLE_SIZE = 2.5;
/** Table thickness, m. */
const TABLE_THICKNESS = 0.04;

/** Object geometries kept at most; beyond it the cache starts over (a caller minting new specs every episode must not leak). */
const GEOMETRY_CACHE_LIMIT = 4096;

/** Where the renderer draws: a canvas, and optionally a context already created on it (headless gl). */
export interface RenderSurface {
  canvas: HTMLCanvasElement;
  context?: WebGL2RenderingContext;
  /** Called once by `dispose` after three's resources are freed (e.g. to destroy a headless context). */
  release?: () => void;
}

/** Triangles of all convex parts of an object as one flat-shaded geometry (one draw call per object). */
function objectGeometry(spec: ObjectSpec): BufferGeometry {
  let triangles = 0;
  for (const part of spec.parts) triangles += part.indices.length / 3;
  const positions = new Float32Array(triangles * 9); // [F*3 vertices, 3]
  let k = 0;
  for (const part of spec.parts) {
    const { vertices, indices } = part;
    for (let i = 0; i < indices.length; i++) {
      const v = indices[i] * 3;
      positions[k++] = vertices[v];
      positions[k++] = vertices[v + 1];
      positions[k++] = vertices[v + 2];
    }
  }
  const geometry = new BufferGeometry();
  geometry.setAttribute('position', new Float32BufferAttribute(positions, 3));
  // Unshared vertices give face normals: hulls read as faceted solids, not blobs.
  geometry.computeVertexNormals();
  return geometry;
}

/** `linear` RGB as the sRGB-encoded values our shader writes, wrapped so three passes them through unchanged. */
function encodedBackground(linear: Vec3): Color {
  const srgb = new Color().setRGB(linear[0], linear[1], linear[2], LinearSRGBColorSpace).getRGB({ r: 0, g: 0, b: 0 }, SRGBColorSpace);
  return new Color().setRGB(srgb.r, srgb.g, srgb.b, LinearSRGBColorSpace);
}

export class Renderer {
  /** Image width and height, px. */
  readonly width: number;
  readonly height: number;
  /** The three.js renderer (for `info.memory`, or to draw on the canvas in a viewer). */
  readonly webgl: WebGLRenderer;

  private readonly config: SceneConfig;
  private readonly surface: RenderSurface;
  private readonly scene = new Scene();
  private readonly camera = new PerspectiveCamera();
  private readonly target: WebGLRenderTarget;
  private readonly rgba: Uint8Array; // [H*W*4], bottom row first (GL order)
  private readonly lighting: Lighting = createLighting();

  private readonly floorMaterial = createSurfaceMaterial(this.lighting);
  private readonly wallMaterial = createSurfaceMaterial(this.lighting);
  private readonly tableMaterial = createSurfaceMaterial(this.lighting);
  private readonly gripperMaterial = createSurfaceMaterial(this.lighting);
  private readonly staticGeometries: BufferGeometry[] = [];

  private readonly gripper = new Group();
  private readonly fingers: [Mesh, Mesh];

  private readonly objectRoot = new Group();
  private objectMeshes: Mesh[] = [];
  /** Object geometries by spec, kept for the renderer's life: a library object reappears in later episodes, and re-uploading its buffers costs more than keeping them (the library is ~1k small meshes). */
  private readonly objectGeometries = new Map<ObjectSpec, BufferGeometry>();
  /** Per-object materials, kept across episodes and recoloured (grows to the largest object count seen). */
  private readonly objectMaterials: ShaderMaterial[] = [];
  private disposed = false;

  constructor(config: SceneConfig, objects: readonly ObjectSpec[], surface: RenderSurface) {
    this.config = config;
    this.surface = surface;
    this.width = config.camera.width;
    this.height = config.camera.height;
    this.webgl = new WebGLRenderer({ canvas: surface.canvas, context: surface.context, antialias: false });
    this.webgl.setPixelRatio(1);
    // Our shader writes sRGB itself (material.ts); three must not convert again, on a canvas or in a target.
    this.webgl.outputColorSpace = LinearSRGBColorSpace;
    this.target = new WebGLRenderTarget(this.width, this.height, { depthBuffer: true });
    this.rgba = new Uint8Array(this.width * this.height * 4);

    this.scene.background = encodedBackground(BACKGROUND_COLOR);
    this.scene.add(this.objectRoot);
    this.buildBinAndTable();
    this.fingers = this.buildGripper();
    this.scene.add(this.gripper);

    this.setObjects(objects);
  }

  private box(size: Vec3, center: Vec3, material: ShaderMaterial): Mesh {
    const geometry = new BoxGeometry(size[0], size[1], size[2]);
    this.staticGeometries.push(geometry);
    const mesh = new Mesh(geometry, material);
    mesh.position.set(center[0], center[1], center[2]);
    return mesh;
  }

  /** Bin floor (top at z = 0), four walls outside the inner size, and the table the bin stands on. */
  private buildBinAndTable(): void {
    const { size, wallHeight, wallThickness: t } = this.config.bin;
    const [sx, sy] = size;
    const floor = this.box([sx + 2 * t, sy + 2 * t, t], [0, 0, -t / 2], this.floorMaterial);
    // Walls along y span the full outer depth; walls along x fit between them, so no faces overlap.
    const wallXNeg = this.box([t, sy + 2 * t, wallHeight], [-(sx + t) / 2, 0, wallHeight / 2], this.wallMaterial);
    const wallXPos = this.box([t, sy + 2 * t, wallHeight], [(sx + t) / 2, 0, wallHeight / 2], this.wallMaterial);
    const wallYNeg = this.box([sx, t, wallHeight], [0, -(sy + t) / 2, wallHeight / 2], this.wallMaterial);
    const wallYPos = this.box([sx, t, wallHeight], [0, (sy + t) / 2, wallHeight / 2], this.wallMaterial);
    const table = this.box([TABLE_SIZE, TABLE_SIZE, TABLE_THICKNESS], [0, 0, -t - TABLE_THICKNESS / 2], this.tableMaterial);
    this.scene.add(floor, wallXNeg, wallXPos, wallYNeg, wallYPos, table);
  }

  /**
   * Gripper in its own frame (the sim's palm frame): origin at the fingertips'
   * centre, fingers hanging from the palm along -z and closing along local x.
   * Box sizes come from the sim's `gripperGeometry`, so what is drawn is what collides.
   */
  private buildGripper(): [Mesh, Mesh] {
    const geo = gripperGeometry(this.config.gripper);
    const full = (half: Vec3): Vec3 => [2 * half[0], 2 * half[1], 2 * half[2]];
    const palm = this.box(full(geo.palmHalfExtents), [0, 0, geo.palmCenterZ], this.gripperMaterial);
    const [fx, fy, fz] = full(geo.fingerHalfExtents);
    const fingerGeometry = new BoxGeometry(fx, fy, fz);
    this.staticGeometries.push(fingerGeometry);
    const left = new Mesh(fingerGeometry, this.gripperMaterial);
    const right = new Mesh(fingerGeometry, this.gripperMaterial);
    left.position.z = right.position.z = geo.fingerCenterZ;
    this.gripper.add(palm, left, right);
    setAlbedo(this.gripperMaterial, this.config.gripper.color);
    return [left, right];
  }

  /**
   * Start an episode with these objects (in sim order). With `rng`, draws this
   * episode's camera, lighting and colour jitter from `scene.randomize`
   * (consumes a fixed number of draws); without, the scene looks as configured.
   */
  setObjects(objects: readonly ObjectSpec[], rng?: Rng): void {
    this.assertLive();
    for (const mesh of this.objectMeshes) this.objectRoot.remove(mesh);
    if (this.objectGeometries.size + objects.length > GEOMETRY_CACHE_LIMIT) {
      for (const geometry of this.objectGeometries.values()) geometry.dispose();
      this.objectGeometries.clear();
    }
    while (this.objectMaterials.length < objects.length) this.objectMaterials.push(createSurfaceMaterial(this.lighting));
    this.objectMeshes = objects.map((spec, i) => {
      let geometry = this.objectGeometries.get(spec);
      if (!geometry) {
        geometry = objectGeometry(spec);
        this.objectGeometries.set(spec, geometry);
      }
      const mesh = new Mesh(geometry, this.objectMaterials[i]);
      this.objectRoot.add(mesh);
      return mesh;
    });
    this.applyAppearance(rng ? randomAppearance(this.config, objects, rng) : baseAppearance(this.config, objects));
  }

  private applyAppearance(a: Appearance): void {
    aimCamera(this.camera, this.config.camera, a.camera);
    this.lighting.ambient.value = a.ambientIntensity;
    this.lighting.key.value = a.keyIntensity;
    this.lighting.keyDirection.value.set(a.keyDirection[0], a.keyDirection[1], a.keyDirection[2]);
    setAlbedo(this.floorMaterial, a.floorColor);
    setAlbedo(this.wallMaterial, a.wallColor);
    setAlbedo(this.tableMaterial, a.tableColor);
    a.objectColors.forEach((c, i) => setAlbedo(this.objectMaterials[i], c));
  }

  /** Move the objects and gripper to `snapshot` and draw into the offscreen image (no readback). */
  draw(snapshot: SceneSnapshot): void {
    this.assertLive();
    if (snapshot.objects.length !== this.objectMeshes.length) {
      throw new Error(`Renderer.draw: snapshot has ${snapshot.objects.length} objects, setObjects was given ${this.objectMeshes.length}`);
    }
    for (let i = 0; i < snapshot.objects.length; i++) {
      const { position: p, quaternion: q } = snapshot.objects[i];
      this.objectMeshes[i].position.set(p[0], p[1], p[2]);
      this.objectMeshes[i].quaternion.set(q[0], q[1], q[2], q[3]);
    }
    const { position, yaw, aperture } = snapshot.gripper;
    this.gripper.position.set(position[0], position[1], position[2]);
    this.gripper.rotation.set(0, 0, yaw);
    const [left, right] = fingerCenterX(this.config.gripper, aperture);
    this.fingers[0].position.x = left;
    this.fingers[1].position.x = right;

    this.webgl.setRenderTarget(this.target);
    this.webgl.render(this.scene, this.camera);
    this.webgl.setRenderTarget(null);
  }

  /**
   * Draw the scene as `draw` last posed it through another camera straight onto
   * the canvas (a viewer's orbit view), then `overlay` (e.g. arrows) on top of
   * it. The camera image is untouched, so the agent never sees either.
   */
  drawView(camera: Camera, overlay?: Object3D): void {
    this.assertLive();
    this.webgl.setRenderTarget(null);
    this.webgl.render(this.scene, camera);
    if (overlay) {
      const autoClear = this.webgl.autoClear;
      this.webgl.autoClear = false;
      this.webgl.clearDepth();
      this.webgl.render(overlay, camera);
      this.webgl.autoClear = autoClear;
    }
  }

  /** Read the last drawn image into `out` (H×W×3, top row first); allocates one if not given. */
  read(out: Uint8Array = new Uint8Array(this.width * this.height * 3)): Uint8Array {
    this.assertLive();
    const { width: w, height: h, rgba } = this;
    if (out.length !== w * h * 3) throw new Error(`Renderer.read: out has ${out.length} bytes, expected ${w * h * 3}`);
    this.webgl.readRenderTargetPixels(this.target, 0, 0, w, h, rgba);
    // GL rows run bottom-up; images run top-down.
    for (let row = 0; row < h; row++) {
      let src = (h - 1 - row) * w * 4;
      let dst = row * w * 3;
      for (let col = 0; col < w; col++, src += 4, dst += 3) {
        out[dst] = rgba[src];
        out[dst + 1] = rgba[src + 1];
        out[dst + 2] = rgba[src + 2];
      }
    }
    return out;
  }

  /** Draw `snapshot` and return its image (H×W×3 uint8, top-left first), into `out` if given. */
  render(snapshot: SceneSnapshot, out?: Uint8Array): Uint8Array {
    this.draw(snapshot);
    return this.read(out);
  }

  /** [u, v] pixels of a world point in this episode's (possibly jittered) camera image. */
  projectToPixel(point: Vec3): [number, number] {
    return projectWithCamera(this.camera, this.width, this.height, point);
  }

  /** Free every GL resource (and the headless context, if the surface owns one). Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const geometry of this.objectGeometries.values()) geometry.dispose();
    this.objectGeometries.clear();
    this.objectMeshes = [];
    for (const geometry of this.staticGeometries) geometry.dispose();
    for (const material of [...this.objectMaterials, this.floorMaterial, this.wallMaterial, this.tableMaterial, this.gripperMaterial]) {
      material.dispose();
    }
    this.target.dispose();
    this.webgl.dispose();
    this.surface.release?.();
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('Renderer used after dispose()');
  }
}
