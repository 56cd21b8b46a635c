/**
 * The headless context of rendering in Node: an X display (display.ts), a headless WebGL2
 * context from `gl`, and a canvas-shaped object around it for three.js.
 */
import type { ObjectSpec } from '../objects/index.js';
import type { SceneConfig } from '../scene/index.js';
import { DisplayError, ensureDisplay } from './display.js';
import { Renderer } from './renderer.js';

/**
 * A renderer drawing off-screen in Node at `scene.camera.width`×`height`.
 * Starts Xvfb first when `DISPLAY` is unset. Call `dispose()` when done: it
 * also destroys the GL context.
 */
export async function createNodeRenderer(scene: SceneConfig, objects: readonly ObjectSpec[]): Promise<Renderer> {
  await ensureDisplay();
  // Loaded here, not at import: the native addon is only needed once something renders.
  const { default: createGL } = await import('gl');
  const { width, height } = scene.camera;
  const gl = createGL(width, height, { createWebGL2Context: true, preserveDrawingBuffer: true, antialias: false });
  if (!gl) {
    throw new DisplayError(
      `could not create a headless WebGL2 context on DISPLAY=${process.env.DISPLAY}: is that X server reachable? (unset DISPLAY to let pincer start its own Xvfb)`,
    );
  }
  // three only needs these members of a canvas when it is handed a context.
  const canvas = {
    width,
    height,
    style: {},
    addEventListener() {},
    removeEventListener() {},
    getContext: () => gl,
  } as unknown as HTMLCanvasElement;
  return new Renderer(scene, objects, {
    canvas,
    context: gl,
    release: () => gl.getExtension('STACKGL_destroy_context')?.destroy(),
  });
}
