/**
 * The one surface shader of the scene: Lambert lighting (ambient plus one
 * directional key light) evaluated per vertex, sRGB-encoded in the shader.
 *
 * Every surface is flat-faceted (boxes and convex hulls with face normals), so
 * per-vertex lighting gives the same picture as three's per-fragment
 * MeshLambertMaterial while the fragment shader only copies a colour: the
 * software rasterizer in Node spends its time per fragment, and this made a
 * 472 px frame several times cheaper. Encoding in the shader (instead of an
 * sRGB render target) gives the same bytes on a canvas and in an off-screen
 * target.
 */
import { ShaderMaterial, Vector3 } from 'three';
import type { Vec3 } from '../sim/index.js';

/** Light uniforms shared (by reference) by every surface material of one renderer. */
export interface Lighting {
  /** Ambient irradiance (three's AmbientLight intensity × colour). */
  ambient: { value: number };
  /** Key light irradiance on a surface facing it. */
  key: { value: number };
  /** Unit vector from the scene toward the key light, world frame. */
  keyDirection: { value: Vector3 };
}

export function createLighting(): Lighting {
  return { ambient: { value: 1 }, key: { value: 1 }, keyDirection: { value: new Vector3(0, 0, 1) } };
}

const vertexShader = /* glsl */ `
uniform vec3 albedo;
uniform float ambient;
uniform float key;
uniform vec3 keyDirection;
varying vec3 vColor;
const float RECIPROCAL_PI = 0.3183098861837907;
void main() {
  // Rigid transforms only (no scale), so the model matrix rotates normals correctly.
  vec3 n = normalize(mat3(modelMatrix) * normal);
  // Lambert BRDF albedo/pi times irradiance, as three's MeshLambertMaterial.
  vColor = albedo * RECIPROCAL_PI * (ambient + key * max(dot(n, keyDirection), 0.0));
  gl_Position = projectionMatrix * modelViewMatrix * vec4(position, 1.0);
}
`;

const fragmentShader = /* glsl */ `
varying vec3 vColor;
vec3 linearToSrgb(vec3 c) {
  return mix(c * 12.92, 1.055 * pow(c, vec3(1.0 / 2.4)) - 0.055, step(vec3(0.0031308), c));
}
void main() {
  gl_FragColor = vec4(linearToSrgb(clamp(vColor, 0.0, 1.0)), 1.0);
}
`;

/** A surface of linear-RGB colour `albedo`, lit by `lighting`. */
export function createSurfaceMaterial(lighting: Lighting, albedo: Vec3 = [1, 1, 1]): ShaderMaterial {
  return new ShaderMaterial({
    uniforms: { albedo: { value: new Vector3(...albedo) }, ...lighting },
    vertexShader,
    fragmentShader,
  });
}

/** Change a surface material's colour (linear RGB). */
export function setAlbedo(material: ShaderMaterial, albedo: Vec3): void {
  (material.uniforms.albedo.value as Vector3).set(albedo[0], albedo[1], albedo[2]);
}
