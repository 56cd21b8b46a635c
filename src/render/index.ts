/**
 * Rendering: a three.js mirror of the sim's scene, drawn to RGB images.
 * This is the portable surface (browser and Node): `Renderer` takes any canvas.
 * Node-only parts (the headless `gl` context, Xvfb, PNG encoding with node:zlib)
 * are in `./node.ts`, so the browser bundle never reaches a Node built-in.
 */
export { Renderer, type RenderSurface } from './renderer.js';
export { cameraClipRows, projectToPixel, type CameraConfig, type CameraPose } from './camera.js';
export { baseAppearance, randomAppearance, type Appearance } from './appearance.js';
