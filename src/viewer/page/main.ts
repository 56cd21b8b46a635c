/**
 * The viewer page's entry point (bundled by ../bundle.ts): reads the server's
 * config, builds the live view and, with --dataset, the replay, and wires the
 * controls. Any error ends up as text on the page.
 */
import type { LibrarySplit } from '../../objects/index.js';
import { POLICY_NAMES, type PolicyName } from '../../policies/index.js';
import { parseScene } from '../../scene/index.js';
import { parseBrowserBackend, type BrowserBackendName } from '../../tf/index.js';
import type { ViewerConfig } from '../protocol.js';
import { byId, fetchJson, showError } from './dom.js';
import { LiveView, type PolicyChoice } from './live.js';
import { loadCheckpoint, type LoadedCheckpoint } from './policy.js';
import { DatasetReplay } from './replay.js';

window.addEventListener('error', (e) => showError(e.error ?? e.message));
window.addEventListener('unhandledrejection', (e) => showError(e.reason));

let live: LiveView | null = null;
let playing = false;
let lastStepAt = 0;

const select = <T extends string>(id: string, options: readonly T[]): HTMLSelectElement => {
  const el = byId<HTMLSelectElement>(id);
  el.replaceChildren(
    ...options.map((o) => {
      const opt = document.createElement('option');
      opt.value = opt.textContent = o;
      return opt;
    }),
  );
  return el;
};

function seed(): number {
  const value = Number(byId<HTMLInputElement>('seed').value);
  if (!Number.isInteger(value) || value < 0) throw new Error(`seed must be a non-negative integer, got '${byId<HTMLInputElement>('seed').value}'`);
  return value;
}

/** The tfjs backend the page's URL asks for (`?backend=webgl|wasm`); none: WebGL, else wasm. */
function requestedBackend(): BrowserBackendName | undefined {
  const value = new URLSearchParams(location.search).get('backend');
  return value === null ? undefined : parseBrowserBackend(value);
}

function setStatus(text: string): void {
  byId('status').textContent = text;
}

function stepOnce(): void {
  if (!live) return;
  live.step();
  if (live.episode.done) setPlaying(false);
}

function setPlaying(on: boolean): void {
  playing = on && live !== null && !live.episode.done;
  setStatus(playing ? 'playing' : live?.episode.done ? 'episode over' : 'paused');
  if (playing) requestAnimationFrame(tick);
}

function tick(now: number): void {
  if (!playing) return;
  const rate = Number(byId<HTMLSelectElement>('speed').value);
  try {
    if (rate === 0 || now - lastStepAt >= 1000 / rate) {
      lastStepAt = now;
      stepOnce();
    }
  } catch (err) {
    setPlaying(false);
    showError(err);
    return;
  }
  if (playing) requestAnimationFrame(tick);
}

/**
 * Frame rate of the live view: one env step per animation frame for `frames` frames,
 * episodes back to back from `seed` (each frame: the physics of one step, the robot
 * camera's render and readback, the camera image and, unless `orbitView` is false, the 3D view).
 */
async function measureFps(frames: number, options: { seed?: number; orbitView?: boolean } = {}): Promise<Record<string, unknown>> {
  if (!live) throw new Error('the live view is not ready');
  const fromSeed = options.seed ?? 0;
  live.orbitView = options.orbitView ?? true;
  setPlaying(false);
  let s = fromSeed;
  let episodes = 0;
  live.newEpisode(live.settings.policy, s);
  live.env.resetTiming();
  live.viewMs = 0;
  const start = performance.now();
  for (let i = 0; i < frames; i++) {
    await new Promise<number>((resolve) => requestAnimationFrame(resolve));
    if (live.episode.done) {
      live.newEpisode(live.settings.policy, ++s);
      episodes++;
    }
    live.step();
  }
  const seconds = (performance.now() - start) / 1000;
  live.orbitView = true;
  const t = live.env.timing;
  const phase = (p: typeof t.step) => ({ count: p.count, physicsMs: p.physicsMs, renderMs: p.renderMs + p.readbackMs, frames: p.frames, totalMs: p.totalMs });
  return { frames, seconds, fps: frames / seconds, episodes, orbitViewMs: live.viewMs, reset: phase(t.reset), step: phase(t.step), end: phase(t.end) };
}

async function main(): Promise<void> {
  const config = await fetchJson<ViewerConfig>('api/config.json');
  const scenes = config.scenes.map((s) => ({ name: s.name, scene: parseScene(s.value, s.name) }));
  const sceneSelect = select('scene', scenes.map((s) => s.name));
  const splitSelect = select('split', config.splits);
  const policySelect = select('policy', config.policies.filter((p) => p === 'checkpoint' || (POLICY_NAMES as readonly string[]).includes(p)));
  let checkpoint: LoadedCheckpoint | null = null;
  try {
    // Checked with or without a checkpoint: a mistyped ?backend= is said, not ignored.
    const backend = requestedBackend();
    if (config.checkpoint) {
      setStatus(`loading checkpoint ${config.checkpoint.name}…`);
      checkpoint = await loadCheckpoint(config.checkpoint, backend);
      byId('status').dataset.backend = checkpoint.backend;
    }
  } catch (err) {
    // The page stays usable with the built-in policies; the error says what is wrong with the checkpoint or the URL.
    showError(err);
    policySelect.querySelector('option[value="checkpoint"]')?.remove();
  }

  const rebuild = async (): Promise<void> => {
    setPlaying(false);
    live?.dispose();
    live = null;
    setStatus('building the scene…');
    const chosen = scenes[sceneSelect.selectedIndex];
    live = await LiveView.create(
      {
        scene: chosen.scene,
        sceneName: chosen.name,
        split: splitSelect.value as LibrarySplit,
        policy: policySelect.value as PolicyChoice,
        seed: seed(),
      },
      checkpoint,
    );
    setStatus('paused');
  };
  const guard = (fn: () => unknown) => () => {
    try {
      const r = fn();
      if (r instanceof Promise) r.catch(showError);
    } catch (err) {
      showError(err);
    }
  };
  sceneSelect.addEventListener('change', guard(rebuild));
  splitSelect.addEventListener('change', guard(rebuild));
  byId('reset').addEventListener('click', guard(() => {
    setPlaying(false);
    live?.newEpisode(policySelect.value as PolicyChoice, seed());
    setStatus('paused');
  }));
  policySelect.addEventListener('change', guard(() => live?.newEpisode(policySelect.value as PolicyName, seed())));
  byId('play').addEventListener('click', guard(() => setPlaying(true)));
  byId('pause').addEventListener('click', guard(() => setPlaying(false)));
  byId('step').addEventListener('click', guard(() => {
    setPlaying(false);
    stepOnce();
    setPlaying(false);
  }));

  await rebuild();
  if (config.dataset) await DatasetReplay.open(config.dataset.name);
  // For tests and `pincer bench viewer`: the live episode's state, and the frame-rate measurement.
  Object.assign(window, {
    pincerViewer: {
      measureFps,
      overlay: () => live?.overlayCounts() ?? null,
      episode: () => {
        const e = live?.episode;
        return e && { seed: e.seed, policy: e.policy.name, steps: e.steps.length, actions: e.steps.map((s) => Array.from(s.action)), done: e.done, success: e.done ? (e.info.evaluation?.success ?? null) : null };
      },
    },
  });
  if (document.body.dataset.state !== 'error') document.body.dataset.state = 'ready';
}

main().catch(showError);
