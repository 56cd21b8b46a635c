/**
 * The viewer in real headless Chromium (Debian's /usr/bin/chromium through
 * playwright-core, SwiftShader WebGL): the page renders, runs episodes that
 * match Node's, and replays a dataset written from those same episodes.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveScene } from '../src/cli/scene-env.js';
import { startView } from '../src/cli/commands/view.js';
import { DatasetWriter, episodePath, prepareEpisode, specForScene } from '../src/data/index.js';
import { createGraspEnv, runEpisode, splitObjectSource, type EpisodeRecord } from '../src/env/node.js';
import { createPolicy, type PolicyName } from '../src/policies/index.js';
import { bundlePage, CHROMIUM_ARGS, CHROMIUM_PATH as CHROMIUM, type ViewerServer } from '../src/viewer/index.js';
import { pixelValueVariance } from './pixels.js';
import { playEpisode } from './viewer-page.js';


/** Episodes checked in both runtimes: the privileged scripted grasper and the random baseline. */
const EPISODES: { policy: PolicyName; seed: number }[] = [
  { policy: 'scripted', seed: 1 },
  { policy: 'scripted', seed: 2 },
  { policy: 'random', seed: 3 },
  { policy: 'scripted', seed: 4 },
];

const root = mkdtempSync(join(tmpdir(), 'pincer-viewer-browser-'));
let server: ViewerServer;
let browser: Browser;
let page: Page;
const node: EpisodeRecord[] = [];

/** Variance of an element's pixels as the screen shows them (all channels). */
async function pixelVariance(selector: string): Promise<number> {
  const png = await page.locator(selector).screenshot();
  const { data } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return pixelValueVariance(data);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (scripts/setup.sh does)`);
  const staticDir = join(root, 'page');
  await bundlePage(staticDir);
  // The Node side: the same episodes through createGraspEnv (what `pincer rollout` runs), written as a dataset.
  const { scene } = resolveScene(undefined);
  const env = await createGraspEnv({ scene, split: 'train', objectSource: splitObjectSource('train') });
  try {
    for (const { policy, seed } of EPISODES) node.push(runEpisode(env, createPolicy(policy, scene), seed).record);
  } finally {
    env.close();
  }
  const dataset = join(root, 'dataset');
  const writer = DatasetWriter.create(dataset, specForScene(scene), { test: 'viewer-browser' });
  for (const record of node) writer.append(prepareEpisode(record));
  writer.close();
  server = await startView({ port: 0, open: false, staticDir, dataset });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
  await page.goto(server.url);
  await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: 60_000 });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('pincer view in headless Chromium', () => {
  it('shows the 3D view and the robot camera, not blank, and no error', async () => {
    expect(await page.textContent('#error')).toBe('');
    expect(await page.getAttribute('body', 'data-state')).toBe('ready');
    expect(await pixelVariance('#orbit')).toBeGreaterThan(100);
    expect(await pixelVariance('#camera')).toBeGreaterThan(100);
    expect(await page.locator('#objects tbody tr').count()).toBe(5);
    expect(await page.textContent('#objects tbody')).toMatch(/proc-\d{4}/);
    expect(await page.textContent('#gripper')).toMatch(/aperture.*closed.*height.*x, y.*yaw/s);
  });

  it('runs episodes to the end with the same outcome as in Node (same seed, scene and policy)', async () => {
    for (const [i, { policy, seed }] of EPISODES.entries()) {
      const shown = await playEpisode(page, policy, seed);
      expect(shown.cls, `${policy} seed ${seed}`).toBe(node[i].success ? 'success' : 'failure');
      expect(shown.outcome).toMatch(node[i].groundTruthSuccess ? /ground truth lifted/ : /ground truth nothing lifted/);
      expect(shown.steps, `${policy} seed ${seed}`).toBe(node[i].steps.length);
    }
    // Not a constant answer: the episodes include both outcomes.
    expect(new Set(node.map((r) => r.success)).size).toBe(2);
  });

  it('a step changes the panel text in place: the same list elements, the objects table kept until the next episode', async () => {
    await page.fill('#seed', '3');
    await page.click('#reset');
    // Tag the elements a step must keep, then step once.
    await page.evaluate(() => {
      for (const el of document.querySelectorAll('#episode dd, #gripper dd, #objects tbody tr')) (el as HTMLElement).dataset.before = 'step';
    });
    const tagged = (selector: string) => page.evaluate((s) => Array.from(document.querySelectorAll<HTMLElement>(s), (el) => el.dataset.before === 'step'), selector);
    await page.click('#step');
    expect(await page.textContent('#episode')).toMatch(/step1 \/ \d+/);
    expect(await tagged('#episode dd')).toEqual(Array(7).fill(true));
    expect(await tagged('#gripper dd')).toEqual(Array(5).fill(true));
    expect(await tagged('#objects tbody tr')).toEqual(Array(5).fill(true));
    await page.fill('#seed', '4');
    await page.click('#reset');
    expect(await tagged('#objects tbody tr')).toEqual(Array(5).fill(false));
  });

  it('replays a dataset episode: list with success and object ids, each frame with its image, action, reward and success', async () => {
    const rows = page.locator('#episodes tbody tr');
    expect(await rows.count()).toBe(EPISODES.length);
    const k = 1;
    expect(await rows.nth(k).textContent()).toContain(node[k].objectIds.join(' '));
    await rows.nth(k).click();
    await page.waitForFunction((k) => document.querySelector('#episodes tbody tr.selected')?.getAttribute('data-index') === String(k), k);
    const steps = node[k].steps;
    for (let t = 0; t < steps.length; t++) {
      if (t > 0) await page.click('#frame-next');
      const info = (await page.textContent('#frame-info')) ?? '';
      expect(info).toContain(`frame${t + 1} / ${steps.length}`);
      expect(info).toContain(`success${steps[t].success ? 'yes' : 'no'}`);
      expect(info).toContain(`reward${steps[t].reward.toFixed(3)}`);
      expect(info).toContain(`action[${Array.from(steps[t].action, (a) => a.toFixed(2)).join(', ')}]`);
      const o = steps[t].observation;
      expect(info).toContain(`x, y${(o.x * 100).toFixed(1)}, ${(o.y * 100).toFixed(1)} cm`);
    }
    // The last frame's pixels are the Node episode's observation, exactly.
    const shown = await page.evaluate(() => {
      const c = document.getElementById('frame') as HTMLCanvasElement;
      return Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data);
    });
    const image = steps.at(-1)!.observation.image;
    const rgb = shown.filter((_, i) => i % 4 !== 3);
    expect(rgb.length).toBe(image.length);
    expect(rgb.every((v, i) => v === image[i])).toBe(true);
  });

  it('switches scenes from the picker (bin-easy: 3 objects, 8 steps)', async () => {
    await page.selectOption('#scene', 'bin-easy.json');
    await page.waitForFunction(() => document.getElementById('status')!.textContent === 'paused' && document.querySelectorAll('#objects tbody tr').length === 3);
    expect(await page.textContent('#episode')).toMatch(/step0 \/ 8/);
    expect(await page.textContent('#error')).toBe('');
  });

  it('shows a damaged dataset episode as an error on the page, not a blank screen', async () => {
    writeFileSync(join(root, 'dataset', episodePath(2)), 'not parquet');
    await page.locator('#episodes tbody tr').nth(2).click();
    await page.waitForFunction(() => document.getElementById('error')!.textContent !== '');
    expect(await page.textContent('#error')).toMatch(/api\/dataset\/episodes\/2\.json: 500 .*cannot read parquet data/);
    expect(await page.isVisible('#error')).toBe(true);
    expect(await pixelVariance('#orbit')).toBeGreaterThan(100);
  });
});
