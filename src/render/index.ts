/**
 * Rendering: a three.js mirror of the sim's scene, drawn to RGB images.
 * `Renderer` takes any canvas (browser); `createNodeRenderer` provides a
 * headless one in Node, starting Xvfb when needed.
 */
export { Renderer, type RenderSurface } from './renderer.js';
export { createNodeRenderer } from './node.js';
export { ensureDisplay, DisplayError } from './display.js';
export { projectToPixel, type CameraConfig, type CameraPose } from './camera.js';
export { baseAppearance, randomAppearance, type Appearance } from './appearance.js';
export { encodePng } from './png.js';
