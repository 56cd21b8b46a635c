/**
 * `pincer bench viewer`: the viewer page's frame rate in headless Chromium
 * (Debian's /usr/bin/chromium, SwiftShader WebGL). One env step per animation
 * frame, episodes back to back: the physics of the step, the 64×64 robot
 * camera's render and readback, and the 480×360 orbit view. The same-run peer
 * is the page without the orbit view. Beside the fps, the browser's CPU per frame
 * (browser, GPU and renderer processes), which other load on the machine moves less.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { POLICY_NAMES, type PolicyName } from '../../policies/index.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH as CHROMIUM } from '../../viewer/index.js';
import { descendantsCpuMs, round, trackLoad } from '../bench-measure.js';
import { PincerError } from '../errors.js';
import { emit, parseChoice, parseNonNegativeInt, parsePositiveInt, type OutputOptions } from '../io.js';
import { startView } from './view.js';


interface BenchViewerOptions extends OutputOptions {
  frames: number;
  seed: number;
  policy: PolicyName;
  inProcessGpu: boolean;
}

async function benchViewer(opts: BenchViewerOptions): Promise<Record<string, unknown>> {
  if (!existsSync(CHROMIUM)) throw new PincerError(`${CHROMIUM} is missing: install Debian's chromium (scripts/setup.sh does)`);
  const { chromium } = await import('playwright-core');
  const server = await startView({ port: 0, open: false, policy: opts.policy });
  const args = opts.inProcessGpu ? [...CHROMIUM_ARGS, '--in-process-gpu'] : CHROMIUM_ARGS;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args });
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    await page.goto(server.url);
    await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: 120_000 });
    const error = await page.textContent('#error');
    if (error) throw new PincerError(`the viewer page failed: ${error.split('\n')[0]}`);
    // The browser's CPU (its GPU and renderer processes too) beside the page's figures: fps moves with other load on the machine, CPU per frame much less.
    const measure = async (orbitView: boolean) => {
      const cpuBefore = descendantsCpuMs();
      const result = await page.evaluate(
        ([frames, seed, orbitView]) =>
          (window as unknown as { pincerViewer: { measureFps(n: number, o: object): Promise<Record<string, unknown>> } }).pincerViewer.measureFps(frames, { seed, orbitView }),
        [opts.frames, opts.seed, orbitView] as const,
      );
      return { ...result, browserCpuMs: descendantsCpuMs() - cpuBefore };
    };
    const load = trackLoad();
    const withView = await measure(true);
    const without = await measure(false);
    const summary = (r: Record<string, unknown>) => {
      const step = r.step as { count: number; physicsMs: number; renderMs: number; frames: number };
      return {
        fps: round(r.fps as number, 1),
        frames: r.frames,
        episodes: r.episodes,
        seconds: round(r.seconds as number, 2),
        step_physics_ms: round(step.physicsMs / Math.max(1, step.count), 2),
        step_camera_render_ms: round(step.renderMs / Math.max(1, step.frames), 2),
        orbit_view_submit_ms: round((r.orbitViewMs as number) / (r.frames as number), 2),
        browser_cpu_ms_per_frame: round((r.browserCpuMs as number) / (r.frames as number), 1),
        phases: { reset: r.reset, step: r.step, end: r.end },
      };
    };
    return {
      bench: 'viewer',
      browser: `${CHROMIUM} ${browser.version()}`,
      args,
      policy: opts.policy,
      ...load.end(),
      with_orbit_view: summary(withView),
      peer_without_orbit_view: summary(without),
    };
  } finally {
    await browser.close();
    await server.close();
  }
}

export function registerBenchViewer(bench: Command): void {
  bench
    .command('viewer')
    .description('frame rate of the viewer page (sim + 64×64 camera + 3D view) in headless Chromium; peer: without the 3D view')
    .option('--frames <n>', 'animation frames per measurement (one env step each)', parsePositiveInt('--frames'), 300)
    .option('--seed <s>', 'first episode seed', parseNonNegativeInt('--seed'), 0)
    .option('--policy <name>', `policy: ${POLICY_NAMES.join('|')}`, parseChoice('--policy', POLICY_NAMES), 'scripted')
    .option('--in-process-gpu', "run Chromium's GPU thread in the browser process (fewer process hops per WebGL readback)")
    .option('--json', 'print one JSON object on stdout')
    .addHelpText('after', '\nExamples:\n  pincer bench viewer --json\n  pincer bench viewer --frames 600 --in-process-gpu --json')
    .action(async (opts: BenchViewerOptions) => {
      const result = await benchViewer({ ...opts, inProcessGpu: opts.inProcessGpu === true });
      emit(opts, result, (r) => {
        const a = r.with_orbit_view as { fps: number };
        const b = r.peer_without_orbit_view as { fps: number };
        return `viewer: ${a.fps} fps with the 3D view, ${b.fps} fps without it`;
      });
    });
}
