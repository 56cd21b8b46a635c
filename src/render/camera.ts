/**
 * The over-the-shoulder camera: a pinhole looking from behind the bin (-y) and
 * above toward a target point, with world +z up. Pure maths on top of three.js
 * types, shared by the renderer and by `projectToPixel`.
 */
import { PerspectiveCamera, Vector3 } from 'three';
import type { SceneConfig } from '../scene/index.js';
import type { Vec3 } from '../sim/index.js';

export type CameraConfig = SceneConfig['camera'];

/** Where the camera is this episode (the configured pose plus any jitter). */
export interface CameraPose {
  /** Eye position, m. */
  position: Vec3;
  /** Point looked at, m. */
  target: Vec3;
}

/** Near and far clip distances, m: the bin is within a metre of the camera, the table edge within a few. */
const NEAR = 0.02;
const FAR = 10;

const _ndc = new Vector3();
const _eye = new Vector3();

/** Point `camera` (created once, reused) at `pose` with the configured field of view and image aspect. */
export function aimCamera(camera: PerspectiveCamera, config: CameraConfig, pose: CameraPose): void {
  camera.fov = config.fov;
  camera.aspect = config.width / config.height;
  camera.near = NEAR;
  camera.far = FAR;
  camera.up.set(0, 0, 1);
  camera.position.set(pose.position[0], pose.position[1], pose.position[2]);
  camera.lookAt(pose.target[0], pose.target[1], pose.target[2]);
  camera.updateProjectionMatrix();
  camera.updateMatrixWorld(true);
}

/**
 * Pixel coordinates [u, v] of a world point in an image from `camera`: u to the
 * right from the left edge, v down from the top edge, in pixels, so pixel
 * (column i, row j) covers u in [i, i+1), v in [j, j+1). Points behind the
 * camera give NaN.
 */
export function projectWithCamera(camera: PerspectiveCamera, width: number, height: number, point: Vec3): [number, number] {
  // Behind the eye the perspective divide mirrors the point into the image; refuse instead.
  _eye.set(point[0], point[1], point[2]).applyMatrix4(camera.matrixWorldInverse);
  if (_eye.z >= 0) return [Number.NaN, Number.NaN];
  _ndc.set(point[0], point[1], point[2]).project(camera);
  return [((_ndc.x + 1) / 2) * width, ((1 - _ndc.y) / 2) * height];
}

/** The configured camera pose, without jitter. */
export function configuredPose(config: CameraConfig): CameraPose {
  return { position: [...config.position], target: [...config.target] };
}

/**
 * The configured (un-jittered) camera's world → clip-space rows x, y and w, row-major
 * 3×4 for [X, Y, Z, 1] in m: a point lands at u = (x/w + 1)/2 · width, v = (1 − y/w)/2 ·
 * height pixels, as `projectToPixel` puts it. A network that reads its conv maps where
 * an action leads (QNetConfig.lookup) carries these twelve numbers, not three.js.
 */
export function cameraClipRows(config: CameraConfig): number[] {
  const camera = new PerspectiveCamera();
  aimCamera(camera, config, configuredPose(config));
  const clip = camera.projectionMatrix.clone().multiply(camera.matrixWorldInverse).elements; // column-major 4×4
  return [0, 1, 3].flatMap((row) => [0, 1, 2, 3].map((col) => clip[col * 4 + row]!));
}

/**
 * Where a world point lands in the configured (un-jittered) camera's image, as
 * [u, v] pixels from the top-left corner. Accepts a scene or its `camera` section.
 */
export function projectToPixel(view: SceneConfig | CameraConfig, point: Vec3): [number, number] {
  const config = 'camera' in view ? view.camera : view;
  const camera = new PerspectiveCamera();
  aimCamera(camera, config, configuredPose(config));
  return projectWithCamera(camera, config.width, config.height, point);
}
