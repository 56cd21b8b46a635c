/**
 * The shipped default policy (assets/policies/default, scripts/ship-policy.sh): it loads
 * with its run's scene and network, acts within the action box, and plays the same
 * held-out episode action for action when run twice (CEM's draws come from the episode seed).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvFor, runEpisode } from '../src/env/node.js';
import { loadTrainedPolicy } from '../src/qtopt/node.js';
import { initBackend } from '../src/tf/node.js';

const DEFAULT_POLICY = 'assets/policies/default';

const root = mkdtempSync(join(tmpdir(), 'pincer-ship-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  await initBackend();
});

describe('the shipped default policy', () => {
  it('loads with its scene (the main scene, no height hack) and plays a test episode the same way twice', async () => {
    const trained = loadTrainedPolicy(DEFAULT_POLICY);
    expect(trained.scene?.episode.heightHack).toBe(false);
    expect(trained.step).toBeGreaterThan(0);
    expect(trained.net.config.lookup?.camera).toHaveLength(12);
    const env = await createEnvFor(trained.scene!, { split: 'test' });
    try {
      const first = runEpisode(env, trained.policy, 21).record;
      const second = runEpisode(env, trained.policy, 21).record;
      expect(first.steps.length).toBeGreaterThan(0);
      expect(first.steps.length).toBeLessThanOrEqual(trained.scene!.episode.maxSteps);
      for (const step of first.steps) for (const v of step.action) expect(Math.abs(v)).toBeLessThanOrEqual(1);
      expect(second.steps.map((s) => Array.from(s.action))).toEqual(first.steps.map((s) => Array.from(s.action)));
      expect(second.success).toBe(first.success);
    } finally {
      env.close();
      trained.net.dispose();
    }
  });

  it('ship-policy.sh re-ships it with the policy\'s own CEM search (POLICY_CEM), and refuses a malformed one', () => {
    const dest = join(root, 'shipped');
    const ship = (spec: string) => spawnSync('bash', ['scripts/ship-policy.sh', DEFAULT_POLICY, '', dest], { encoding: 'utf8', env: { ...process.env, POLICY_CEM: spec } });
    const ok = ship('32/4/3');
    expect(ok.status, ok.stderr).toBe(0);
    const trained = loadTrainedPolicy(dest);
    expect(trained.policy.search).toMatchObject({ samples: 32, elites: 4, iterations: 3 });
    const original = loadTrainedPolicy(DEFAULT_POLICY);
    expect(trained.config.cem.samples).toBe(original.config.cem.samples); // the targets' stay
    for (const t of [trained, original]) t.net.dispose();
    const bad = ship('32x4');
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual(['ship-policy: POLICY_CEM=32x4: expected samples/elites/iterations, e.g. 256/16/4']);
    expect(existsSync(join(dest, 'config.json'))).toBe(true); // the earlier shipment is untouched
  });

  it('train-default.sh takes one folder: a flag or a second argument gets its usage line, and nothing starts', () => {
    for (const args of [['--help'], [join(root, 'a'), join(root, 'b')]]) {
      const run = spawnSync('bash', ['scripts/train-default.sh', ...args], { encoding: 'utf8' });
      expect(run.status).toBe(2);
      expect(run.stderr.trim().split('\n')).toEqual(['train-default: usage: scripts/train-default.sh [OUT]   (a folder for the run; default runs/default)']);
      expect(existsSync(join(root, 'a'))).toBe(false);
    }
  });
});
