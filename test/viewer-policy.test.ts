/**
 * A checkpoint in the viewer (headless Chromium): the page loads it with tfjs
 * (WebGL), runs the CEM policy to the end of an episode with its arrows, heat
 * map and predictions, and shows a corrupt checkpoint as an error.
 */
import { copyFileSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startView } from '../src/cli/commands/view.js';
import { LIBRARY_VERSION } from '../src/objects/index.js';
import { resolveQtOptConfig, saveCheckpoint } from '../src/qtopt/node.js';
import { initBackend, QNetwork } from '../src/tf/node.js';
import { bundlePage, CHROMIUM_ARGS, CHROMIUM_PATH, type ViewerServer } from '../src/viewer/index.js';

const root = mkdtempSync(join(tmpdir(), 'pincer-viewer-policy-'));
const staticDir = join(root, 'page');
const good = join(root, 'checkpoint');
const corrupt = join(root, 'corrupt');
let browser: Browser;
const servers: ViewerServer[] = [];

beforeAll(async () => {
  await bundlePage(staticDir);
  await initBackend();
  // A small untrained network for the default 64×64 scene: what matters here is the plumbing, not its skill.
  const config = resolveQtOptConfig({ network: { convs: [{ filters: 4, kernelSize: 3, stride: 4 }], actionUnits: 8, headUnits: 8 } }, 'test');
  const net = new QNetwork(config.network, 7);
  await saveCheckpoint(good, net, { step: 10, envSteps: 0, validationSuccess: null, libraryVersion: LIBRARY_VERSION, configHash: 'test' });
  net.dispose();
  cpSync(good, corrupt, { recursive: true });
  const weights = readFileSync(join(good, 'weights.bin'));
  writeFileSync(join(corrupt, 'weights.bin'), weights.subarray(0, weights.length - 8));
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  for (const s of servers) await s.close();
});

async function open(policy: string) {
  const server = await startView({ port: 0, open: false, staticDir, policy });
  servers.push(server);
  const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
  await page.goto(server.url);
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

  it('shows a corrupt checkpoint as an error on the page and keeps the built-in policies', async () => {
    const page = await open(corrupt);
    expect(await page.textContent('#error')).toMatch(/weights\.bin: \d+ bytes, the manifest needs \d+/);
    expect(await page.locator('#policy option[value="checkpoint"]').count()).toBe(0);
    await page.click('#step');
    expect(await page.textContent('#episode')).toMatch(/step1 \//);
  });
});
