/**
 * Everything about how an episode looks that is not a body pose: camera pose,
 * lights and surface colours. `baseAppearance` is the scene as configured;
 * `randomAppearance` applies the per-episode jitter of `scene.randomize`
 * (domain randomization). Pure functions of (scene, objects, rng).
 *
 * Randomizations (each off at 0, the default):
 * - camera: position and target each move by N(0, std²) per axis, m.
 * - lighting L: ambient and key intensities each scale by U(1 - L/2, 1 + L/2);
 *   the key light's azimuth turns by U(-L, L)·90° and its elevation by U(-L, L)·20°.
 * - colors C: every RGB channel of every surface (objects, bin, table) moves by
 *   N(0, (0.25·C)²), clamped to [0, 1].
 */
import type { ObjectSpec } from '../objects/index.js';
import type { Rng } from '../random/index.js';
import type { SceneConfig } from '../scene/index.js';
import type { Vec3 } from '../sim/index.js';
import { configuredPose, type CameraPose } from './camera.js';

/** Table top colour, linear RGB (not in the scene file: it only needs to differ from the bin). */
export const TABLE_COLOR: Vec3 = [0.42, 0.3, 0.2];
/** Background behind the table, linear RGB. */
export const BACKGROUND_COLOR: Vec3 = [0.62, 0.66, 0.7];
/** Ambient light intensity (three.js units: a white Lambert surface under ambient 1 reflects 1/π). */
const AMBIENT_INTENSITY = 1.6;
/** Key (directional) light intensity. */
const KEY_INTENSITY = 2.2;
/** Key light direction (toward the light): from the left, behind the camera and high up, rad. */
const KEY_AZIMUTH = (-120 * Math.PI) / 180;
const KEY_ELEVATION = (60 * Math.PI) / 180;
/** Largest key-light turn at lighting = 1, rad. */
const MAX_AZIMUTH_JITTER = Math.PI / 2;
const MAX_ELEVATION_JITTER = (20 * Math.PI) / 180;
/** Std of a colour channel's jitter at colors = 1. */
const COLOR_STD = 0.25;

export interface Appearance {
  camera: CameraPose;
  ambientIntensity: number;
  keyIntensity: number;
  /** Unit vector from the scene toward the key light. */
  keyDirection: Vec3;
  floorColor: Vec3;
  wallColor: Vec3;
  tableColor: Vec3;
  /** One colour per object, in object order. */
  objectColors: Vec3[];
}

function direction(azimuth: number, elevation: number): Vec3 {
  const c = Math.cos(elevation);
  return [c * Math.cos(azimuth), c * Math.sin(azimuth), Math.sin(elevation)];
}

/** The scene as configured: no jitter. */
export function baseAppearance(scene: SceneConfig, objects: readonly ObjectSpec[]): Appearance {
  return {
    camera: configuredPose(scene.camera),
    ambientIntensity: AMBIENT_INTENSITY,
    keyIntensity: KEY_INTENSITY,
    keyDirection: direction(KEY_AZIMUTH, KEY_ELEVATION),
    floorColor: [...scene.bin.floorColor],
    wallColor: [...scene.bin.wallColor],
    tableColor: [...TABLE_COLOR],
    objectColors: objects.map((o) => [...o.color]),
  };
}

/**
 * One episode's appearance, drawn from `rng`. The number of draws is fixed
 * (it does not depend on which jitters are on), so turning one jitter on does
 * not change what the others draw for the same seed.
 */
export function randomAppearance(scene: SceneConfig, objects: readonly ObjectSpec[], rng: Rng): Appearance {
  const r = scene.randomize;
  const jitter = (v: Vec3, std: number): Vec3 => [v[0] + std * rng.normal(), v[1] + std * rng.normal(), v[2] + std * rng.normal()];
  const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));
  const jitterColor = (c: Vec3): Vec3 => jitter(c, COLOR_STD * r.colors).map(clamp01) as Vec3;

  const camera = { position: jitter(scene.camera.position, r.cameraPosition), target: jitter(scene.camera.target, r.cameraTarget) };
  const L = r.lighting;
  const ambientIntensity = AMBIENT_INTENSITY * rng.range(1 - L / 2, 1 + L / 2);
  const keyIntensity = KEY_INTENSITY * rng.range(1 - L / 2, 1 + L / 2);
  const azimuth = KEY_AZIMUTH + MAX_AZIMUTH_JITTER * rng.range(-L, L);
  const elevation = KEY_ELEVATION + MAX_ELEVATION_JITTER * rng.range(-L, L);
  return {
    camera,
    ambientIntensity,
    keyIntensity,
    keyDirection: direction(azimuth, elevation),
    floorColor: jitterColor(scene.bin.floorColor),
    wallColor: jitterColor(scene.bin.wallColor),
    tableColor: jitterColor(TABLE_COLOR),
    objectColors: objects.map((o) => jitterColor(o.color)),
  };
}
