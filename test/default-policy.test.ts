/**
 * The shipped default policy (assets/policies/default, scripts/ship-policy.sh): it loads
 * with its run's scene and network, acts within the action box, and plays the same
 * held-out episode action for action when run twice (CEM's draws come from the episode seed).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createEnvFor, runEpisode } from '../src/env/node.js';
import { loadTrainedPolicy } from '../src/qtopt/node.js';
import { initBackend } from '../src/tf/node.js';

const DEFAULT_POLICY = 'assets/policies/default';

beforeAll(async () => {
  await initBackend();
});

describe('the shipped default policy', () => {
  it('loads with its scene (bin-easy, height hack) and plays a test episode the same way twice', async () => {
    const trained = loadTrainedPolicy(DEFAULT_POLICY);
    expect(trained.scene?.episode.heightHack).toBe(true);
    expect(trained.step).toBeGreaterThan(0);
    expect(trained.net.config.convs.some((c) => (c.pool ?? 1) > 1)).toBe(true);
    const env = await createEnvFor(trained.scene!, { split: 'test' });
    try {
      const first = runEpisode(env, trained.policy, 21).record;
      const second = runEpisode(env, trained.policy, 21).record;
      expect(first.steps.length).toBe(trained.scene!.episode.maxSteps);
      for (const step of first.steps) for (const v of step.action) expect(Math.abs(v)).toBeLessThanOrEqual(1);
      expect(second.steps.map((s) => Array.from(s.action))).toEqual(first.steps.map((s) => Array.from(s.action)));
      expect(second.success).toBe(first.success);
    } finally {
      env.close();
      trained.net.dispose();
    }
  });
});
