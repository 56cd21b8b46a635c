/** Driving the viewer page in the browser tests (viewer-browser, viewer-policy) through its controls. */
import type { Page } from 'playwright-core';

/** What the page shows at the end of an episode, and its state from `window.pincerViewer`. */
export interface PlayedEpisode {
  outcome: string;
  cls: string;
  steps: number;
  /** The episode's actions, [steps][A]. */
  actions: number[][];
  success: boolean | null;
}

/** Run one episode of `policy` (a built-in one or 'checkpoint') from `seed` in the page, to the end. */
export async function playEpisode(page: Page, policy: string, seed: number): Promise<PlayedEpisode> {
  await page.selectOption('#policy', policy);
  await page.fill('#seed', String(seed));
  await page.click('#reset');
  await page.selectOption('#speed', '0');
  await page.click('#play');
  await page.waitForFunction(() => /^(success|failure)$/.test(document.getElementById('outcome')!.className), null, { timeout: 60_000 });
  const outcome = (await page.textContent('#outcome')) ?? '';
  const cls = (await page.getAttribute('#outcome', 'class')) ?? '';
  const state = await page.evaluate(() => (window as unknown as { pincerViewer: { episode(): { steps: number; actions: number[][]; success: boolean | null } } }).pincerViewer.episode());
  return { outcome, cls, ...state };
}
