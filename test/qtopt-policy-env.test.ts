/**
 * The CEM policy in the real GraspEnv at the default config's network: the
 * default image size matches the default scene's camera, episodes are
 * deterministic per seed with exploration on, and the policy never reads
 * info.privileged (an info whose simulator state throws when touched).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGraspEnv, runEpisode, splitObjectSource, type GraspEnv, type Policy } from '../src/env/node.js';
import { CemPolicy, QTOPT_DEFAULTS } from '../src/qtopt/index.js';
import { defaultScene } from '../src/scene/index.js';
import { initBackend, QNetwork, type QNetConfig } from '../src/tf/node.js';

const envs: GraspEnv[] = [];
let net: QNetwork;
beforeAll(async () => {
  await initBackend();
  net = new QNetwork(QTOPT_DEFAULTS.network as QNetConfig, 0);
});
afterAll(() => {
  envs.forEach((e) => e.close());
  net.dispose();
});

/** Hands the policy an info whose `privileged` throws, and counts steps. */
function guarded(policy: CemPolicy): Policy & { steps: number } {
  const wrapper = {
    name: policy.name,
    steps: 0,
    reset: (rng: Parameters<Policy['reset']>[0]) => policy.reset(rng),
    act: (obs: Parameters<Policy['act']>[0], info: Parameters<Policy['act']>[1]) => {
      wrapper.steps++;
      const blind = new Proxy(info, {
        get(target, key, receiver) {
          if (key === 'privileged') throw new Error('CemPolicy read info.privileged');
          return Reflect.get(target, key, receiver);
        },
      });
      return policy.act(obs, blind);
    },
  };
  return wrapper;
}

describe('CemPolicy in GraspEnv', () => {
  it('acts from observations only, deterministically per seed, at the default scene’s image size', async () => {
    const scene = defaultScene({ objects: { count: 3 }, episode: { maxSteps: 6 } });
    const [a, b] = [
      await createGraspEnv({ scene, split: 'train', objectSource: splitObjectSource('train') }),
      await createGraspEnv({ scene, split: 'train', objectSource: splitObjectSource('train') }),
    ];
    envs.push(a, b);
    const policy = () => guarded(new CemPolicy(net, QTOPT_DEFAULTS, { epsilon: 0.3, noiseStd: 0.1 }));
    const pa = policy();
    const ra = runEpisode(a, pa, 77).record;
    const rb = runEpisode(b, policy(), 77).record;
    expect(pa.steps).toBe(ra.steps.length);
    expect(ra.steps.length).toBeGreaterThan(0);
    expect(ra.steps.map((s) => Array.from(s.action))).toEqual(rb.steps.map((s) => Array.from(s.action)));
    expect(ra.success).toBe(rb.success);
  });
});
