/**
 * A checkpoint in the viewer (headless Chromium): the page loads it with tfjs
 * (WebGL, or wasm when the URL asks for it), runs the CEM policy to the end of
 * an episode with its arrows, heat map and predictions, and shows a corrupt
 * checkpoint or an unknown backend as an error.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startView } from '../src/cli/commands/view.js';
import { resolveScene } from '../src/cli/scene-env.js';
import { createGraspEnv, runEpisode, splitObjectSource, type EpisodeRecord } from '../src/env/node.js';
import { LIBRARY_VERSION } from '../src/objects/index.js';
import { loadTrainedPolicy, resolveQtOptConfig, saveCheckpoint } from '../src/qtopt/node.js';
import { initBackend, QNetwork } from '../src/tf/node.js';
import { bundlePage, CHROMIUM_ARGS, CHROMIUM_PATH, type ViewerServer } from '../src/viewer/index.js';
import { playEpisode } from './viewer-page.js';

/**
 * The checkpoint episode run both in Node and in the page on wasm. On bin-easy
 * (height hack: terminate ignored) it lasts all 8 steps, so CEM chooses 8
 * actions from 8 different images; on bin.json this untrained network
 * terminates at the first step.
 */
const WASM_EPISODE = { scene: 'scenes/bin-easy.json', seed: 3 };

const root = mkdtempSync(join(tmpdir(), 'pincer-viewer-policy-'));
const staticDir = join(root, 'page');
const good = join(root, 'checkpoint');
const corrupt = join(root, 'corrupt');
let browser: Browser;
const servers: ViewerServer[] = [];
let nodeWasmEpisode: EpisodeRecord;

beforeAll(async () => {
  await bundlePage(staticDir);
  // Node on tfjs's wasm backend too, so the page's wasm episode is compared with the same arithmetic (not tfjs-node's).
  vi.stubEnv('PINCER_BACKEND', 'wasm');
  expect(await initBackend()).toBe('wasm');
  // A small untrained network for the default 64×64 scene: what matters here is the plumbing, not its skill.
  const config = resolveQtOptConfig({ network: { convs: [{ filters: 4, kernelSize: 3, stride: 4 }], actionUnits: 8, headUnits: 8 } }, 'test');
  const net = new QNetwork(config.network, 7);
  await saveCheckpoint(good, net, { step: 10, envSteps: 0, validationSuccess: null, libraryVersion: LIBRARY_VERSION, configHash: 'test' });
  net.dispose();
  cpSync(good, corrupt, { recursive: true });
  const weights = readFileSync(join(good, 'weights.bin'));
  writeFileSync(join(corrupt, 'weights.bin'), weights.subarray(0, weights.length - 8));
  // The page's default split, the checkpoint loaded as `pincer eval` loads it (CEM, no exploration).
  const { scene } = resolveScene(WASM_EPISODE.scene);
  const env = await createGraspEnv({ scene, split: 'train', objectSource: splitObjectSource('train') });
  const { policy, net: trained } = loadTrainedPolicy(good);
  try {
    nodeWasmEpisode = runEpisode(env, policy, WASM_EPISODE.seed).record;
  } finally {
    trained.dispose();
    env.close();
  }
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  for (const s of servers) await s.close();
  vi.unstubAllEnvs();
});

/** The page served for `policy` (starting on `scene`), its URL ending in `query` (e.g. '?backend=wasm'), once it has loaded. */
async function open(policy: string, { query = '', scene }: { query?: string; scene?: string } = {}) {
  const server = await startView({ port: 0, open: false, staticDir, policy, scene });
  servers.push(server);
  const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
  await page.goto(`${server.url}${query}`);
  await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: 60_000 });
  return page;
}

describe('a checkpoint in pincer view', () => {
  it('runs the CEM policy to the end of an episode on WebGL, with arrows, heat map and predictions', async () => {
    const page = await open(good);
    expect(await page.textContent('#error')).toBe('');
    expect(await page.getAttribute('#status', 'data-backend')).toBe('webgl');
    expect(await page.inputValue('#policy')).toBe('checkpoint');
    await page.click('#step');
    expect(await page.textContent('#prediction')).toMatch(/predicted success of the chosen action: 0\.\d{3} \(first step 0\.\d{3}\)/);
    const overlay = await page.evaluate(() => (window as unknown as { pincerViewer: { overlay(): { arrows: number; heat: number } } }).pincerViewer.overlay());
    // 64 CEM candidates + 6 elites + the chosen action (an arrow shorter than 0.1 mm is skipped).
    expect(overlay.arrows).toBeGreaterThan(60);
    expect(overlay.arrows).toBeLessThanOrEqual(71);
    expect(overlay.heat).toBe(1);
    await page.selectOption('#speed', '0');
    await page.click('#play');
    await page.waitForFunction(() => /^(success|failure)$/.test(document.getElementById('outcome')!.className), null, { timeout: 60_000 });
    expect(await page.textContent('#error')).toBe('');
  });

  it('plays the shipped default policy, a lookup network (its reads in tf ops on the page), to the end of an episode', async () => {
    const page = await open('assets/policies/default');
    expect(await page.textContent('#error')).toBe('');
    await page.click('#step');
    expect(await page.textContent('#prediction')).toMatch(/predicted success of the chosen action: 0\.\d{3}/);
    await page.selectOption('#speed', '0');
    await page.click('#play');
    await page.waitForFunction(() => /^(success|failure)$/.test(document.getElementById('outcome')!.className), null, { timeout: 120_000 });
    expect(await page.textContent('#error')).toBe('');
  });

  it('runs the checkpoint on wasm when the URL asks for it: the same episode as Node on wasm', async () => {
    const page = await open(good, { query: '?backend=wasm', scene: WASM_EPISODE.scene });
    expect(await page.textContent('#error')).toBe('');
    expect(await page.getAttribute('#status', 'data-backend')).toBe('wasm');
    const shown = await playEpisode(page, 'checkpoint', WASM_EPISODE.seed);
    expect(shown.cls).toBe(nodeWasmEpisode.success ? 'success' : 'failure');
    expect(shown.steps).toBe(nodeWasmEpisode.steps.length);
    // Bit for bit: the same wasm kernels on the same camera images choose the same actions. (WebGL's float
    // arithmetic differs from wasm's, and CEM ranks candidates by Q, so a WebGL episode need not match.)
    expect(shown.actions).toEqual(nodeWasmEpisode.steps.map((step) => Array.from(step.action)));
    expect(await page.textContent('#error')).toBe('');
  });

  it('shows an unknown backend in the URL as an error on the page, with or without a checkpoint, and keeps the built-in policies', async () => {
    for (const policy of [good, 'random']) {
      const page = await open(policy, { query: '?backend=cuda' });
      expect(await page.textContent('#error'), policy).toBe('backend=cuda: not a tfjs backend the page can use (webgl|wasm)');
      expect(await page.getAttribute('#status', 'data-backend')).toBeNull();
      expect(await page.locator('#policy option[value="checkpoint"]').count()).toBe(0);
      await page.click('#step');
      expect(await page.textContent('#episode')).toMatch(/step1 \//);
    }
  });

  it('shows a corrupt checkpoint as an error on the page and keeps the built-in policies', async () => {
    const page = await open(corrupt);
    expect(await page.textContent('#error')).toMatch(/weights\.bin: \d+ bytes, the manifest needs \d+/);
    expect(await page.locator('#policy option[value="checkpoint"]').count()).toBe(0);
    await page.click('#step');
    expect(await page.textContent('#episode')).toMatch(/step1 \//);
  });
});
