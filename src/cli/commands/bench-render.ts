/**
 * `pincer bench render`: time to draw and read back one frame at several image
 * sizes, on a bin of library objects with the gripper at its start pose.
 *
 * draw_ms waits for the GPU (gl.finish) so that GPU work is not billed to the
 * readback; frame_ms is `render()` as the env calls it (draw, then read).
 * peer_ms is the smallest possible frame in the same run and context: one lit
 * cube drawn and read back at the same size (the recipe measured at 0.4–0.9 ms
 * for 64 px on a quiet machine), so figures from a loaded machine can be scaled.
 */
import type { Command } from 'commander';
import { AmbientLight, BoxGeometry, Mesh, MeshLambertMaterial, PerspectiveCamera, Scene, WebGLRenderTarget } from 'three';
import { sampleObjects, type ObjectSpec } from '../../objects/index.js';
import { Rng } from '../../random/index.js';
import { createNodeRenderer, type Renderer } from '../../render/node.js';
import { defaultScene, type SceneConfig } from '../../scene/index.js';
import type { SceneSnapshot } from '../../sim/index.js';
import { UsageError } from '../errors.js';
import { emit, log, parseNonNegativeInt, parsePositiveInt, type OutputOptions } from '../io.js';
import { quantile } from '../../report/index.js';
import { round, trackLoad } from '../bench-measure.js';

interface BenchRenderOptions extends OutputOptions {
  sizes: number[];
  frames: number;
  episodes: number;
  seed: number;
}

function parseSizes(value: string): number[] {
  const sizes = value.split(',').map((s) => Number(s.trim()));
  if (sizes.length === 0 || sizes.some((s) => !Number.isInteger(s) || s < 16 || s > 1024)) {
    throw new UsageError(`--sizes must be comma-separated integers in [16, 1024], got '${value}'`);
  }
  return sizes;
}

/** Objects laid out on a grid in the bin with seeded yaws; gripper at its start pose over the centre. */
function benchSnapshot(scene: SceneConfig, objects: readonly ObjectSpec[], rng: Rng): SceneSnapshot {
  const side = Math.ceil(Math.sqrt(objects.length));
  const spacing = (scene.bin.size[0] * 0.6) / side;
  return {
    objects: objects.map((_, i) => {
      const half = rng.range(-Math.PI, Math.PI) / 2;
      return {
        position: [((i % side) - (side - 1) / 2) * spacing, (Math.floor(i / side) - (side - 1) / 2) * spacing, 0.04],
        quaternion: [0, 0, Math.sin(half), Math.cos(half)],
      };
    }),
    gripper: { position: [0, 0, scene.gripper.startHeight], yaw: 0, aperture: scene.gripper.maxAperture },
  };
}

/** min is what an idle machine gives: on shared cores the rasterizer's threads are often descheduled mid-frame. */
function summary(ms: number[]): { min: number; median: number; p90: number; mean: number } {
  const sorted = ms.slice().sort((a, b) => a - b);
  return {
    min: round(sorted[0]),
    median: round(quantile(sorted, 0.5)),
    p90: round(quantile(sorted, 0.9)),
    mean: round(ms.reduce((a, b) => a + b, 0) / ms.length),
  };
}

/** Frame times of the peer: one cube, drawn by the same three.js renderer into a target of the same size. */
function peerFrames(renderer: Renderer, size: number, frames: number): number[] {
  const scene = new Scene();
  const geometry = new BoxGeometry(1, 1, 1);
  const material = new MeshLambertMaterial({ color: 0xff0000 });
  scene.add(new Mesh(geometry, material), new AmbientLight(0xffffff, 1));
  const camera = new PerspectiveCamera(50, 1, 0.1, 10);
  camera.position.set(0, 0, 3);
  const target = new WebGLRenderTarget(size, size);
  const rgba = new Uint8Array(size * size * 4);
  const ms: number[] = [];
  for (let i = 0; i < frames + 3; i++) {
    const t = performance.now();
    renderer.webgl.setRenderTarget(target);
    renderer.webgl.render(scene, camera);
    renderer.webgl.readRenderTargetPixels(target, 0, 0, size, size, rgba);
    if (i >= 3) ms.push(performance.now() - t);
  }
  renderer.webgl.setRenderTarget(null);
  geometry.dispose();
  material.dispose();
  target.dispose();
  return ms;
}

async function benchSize(size: number, opts: BenchRenderOptions): Promise<Record<string, unknown>> {
  const scene = defaultScene({ camera: { width: size, height: size } });
  const rng = new Rng(opts.seed);
  const episodes = Array.from({ length: opts.episodes }, () => sampleObjects('train', scene.objects.count, rng));
  const snapshots = episodes.map((objects) => benchSnapshot(scene, objects, rng));
  const renderer: Renderer = await createNodeRenderer(scene, episodes[0]);
  const gl = renderer.webgl.getContext();
  const out = new Uint8Array(size * size * 3);
  const draw: number[] = [];
  const read: number[] = [];
  const frame: number[] = [];
  const setup: number[] = [];
  let peer: number[] = [];
  try {
    for (let e = 0; e < episodes.length; e++) {
      let t = performance.now();
      renderer.setObjects(episodes[e]);
      renderer.render(snapshots[e], out);
      setup.push(performance.now() - t);
      // Warm-up frames (shader compile on the first episode) are not timed.
      for (let i = 0; i < 3; i++) renderer.render(snapshots[e], out);
      for (let i = 0; i < opts.frames; i++) {
        t = performance.now();
        renderer.draw(snapshots[e]);
        gl.finish();
        const t1 = performance.now();
        renderer.read(out);
        const t2 = performance.now();
        renderer.render(snapshots[e], out);
        frame.push(performance.now() - t2);
        draw.push(t1 - t);
        read.push(t2 - t1);
      }
    }
    peer = peerFrames(renderer, size, opts.frames);
  } finally {
    renderer.dispose();
  }
  log(opts, `bench render: ${size}x${size} done`);
  return { size, frames: draw.length, draw_ms: summary(draw), read_ms: summary(read), frame_ms: summary(frame), episode_setup_ms: summary(setup.slice(1)), peer_ms: summary(peer) };
}

export function registerBenchRender(bench: Command): void {
  bench
    .command('render')
    .description('time drawing and reading back frames at several image sizes (medians over frames)')
    .option('--sizes <list>', 'square image sizes, px, comma-separated', parseSizes, [64, 128, 472])
    .option('--frames <n>', 'timed frames per episode', parsePositiveInt('--frames'), 50)
    .option('--episodes <n>', 'episodes (object sets) per size', parsePositiveInt('--episodes'), 4)
    .option('--seed <s>', 'seed for the objects and their placement', parseNonNegativeInt('--seed'), 1)
    .option('--json', 'print one JSON object on stdout')
    .option('--progress', 'log each size on stderr even when it is not a TTY')
    .addHelpText(
      'after',
      `
Examples:
  pincer bench render --json
  pincer bench render --sizes 64,472 --frames 200 --json`,
    )
    .action(async (opts: BenchRenderOptions) => {
      // The first episode's setup includes shader compilation and is left out of episode_setup_ms.
      if (opts.episodes < 2) throw new UsageError(`--episodes must be at least 2, got ${opts.episodes}`);
      const load = trackLoad();
      const results = [];
      for (const size of opts.sizes) results.push(await benchSize(size, opts));
      // The machine is shared: the load average says how much to trust the figures.
      emit(opts, { bench: 'render', results, ...load.end() }, (r) =>
        (r.results as Record<string, unknown>[])
          .map((x) => {
            const m = (k: string): number => (x[k] as { median: number }).median;
            return `${x.size}px: frame ${m('frame_ms')} ms (draw+finish ${m('draw_ms')} ms, readback ${m('read_ms')} ms), new episode ${m('episode_setup_ms')} ms; peer (one cube) ${m('peer_ms')} ms`;
          })
          .join('\n'),
      );
    });
}
