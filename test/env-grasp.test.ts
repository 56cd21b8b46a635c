/**
 * GraspEnv end to end on the real sim and renderer: determinism, a scripted
 * grasp of an easy object, and the success detector on a known success and a
 * known failure (checked against simulator ground truth).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ACTION_DIM, createGraspEnv, listObjectSource, runEpisode, splitObjectSource, type GraspEnv } from '../src/env/node.js';
import { convexHull, type ObjectSpec } from '../src/objects/index.js';
import { RandomPolicy, ScriptedPolicy } from '../src/policies/index.js';
import { defaultScene, type SceneConfig } from '../src/scene/index.js';

/** A 4 cm cube of 50 g: fits the fingers whichever way it lands. */
function cube(): ObjectSpec {
  const h = 0.02;
  const pts: number[] = [];
  for (const x of [-h, h]) for (const y of [-h, h]) for (const z of [-h, h]) pts.push(x, y, z);
  return { id: 'ext:cube', kind: 'box', split: 'external', parts: [convexHull(pts)], mass: 0.05, friction: 1, color: [0.8, 0.2, 0.1] };
}

const envs: GraspEnv[] = [];
async function cubeEnv(scene: SceneConfig): Promise<GraspEnv> {
  const env = await createGraspEnv({ scene, split: 'external', objectSource: listObjectSource([cube()]) });
  envs.push(env);
  return env;
}
afterAll(() => envs.forEach((e) => e.close()));

const oneCube = defaultScene({ objects: { count: 1 } });

describe('GraspEnv', () => {
  it('gives the same episode, bit for bit, for the same seed in two envs', async () => {
    const scene = defaultScene({ objects: { count: 3 }, episode: { maxSteps: 6 }, randomize: { lighting: 0.3, colors: 0.3 } });
    const a = await createGraspEnv({ scene, split: 'train', objectSource: splitObjectSource('train') });
    const b = await createGraspEnv({ scene, split: 'train', objectSource: splitObjectSource('train') });
    envs.push(a, b);
    const policy = new RandomPolicy(0.1);
    const ra = runEpisode(a, policy, 1234).record;
    const rb = runEpisode(b, policy, 1234).record;
    const other = runEpisode(b, policy, 1235).record;
    expect(ra.objectIds).toEqual(rb.objectIds);
    expect(ra.steps.length).toBe(rb.steps.length);
    for (let i = 0; i < ra.steps.length; i++) {
      expect(Array.from(ra.steps[i].action)).toEqual(Array.from(rb.steps[i].action));
      expect(ra.steps[i].reward).toBe(rb.steps[i].reward);
      expect(Buffer.from(ra.steps[i].observation.image).equals(Buffer.from(rb.steps[i].observation.image))).toBe(true);
      expect(ra.steps[i].observation.height).toBe(rb.steps[i].observation.height);
    }
    expect(ra.steps[0].action).toHaveLength(ACTION_DIM);
    // A different seed is a different episode (so the comparison above can fail).
    expect(Buffer.from(other.steps[0].observation.image).equals(Buffer.from(ra.steps[0].observation.image))).toBe(false);
  });

  it('scripted grasper lifts an easy object; the detector and ground truth both call it a success', async () => {
    const env = await cubeEnv(oneCube);
    const { record, finalInfo } = runEpisode(env, new ScriptedPolicy(oneCube), 7);
    expect(record.steps.length).toBeLessThan(oneCube.episode.maxSteps);
    expect(record.groundTruthSuccess).toBe(true);
    expect(finalInfo.detector?.fingersBlocked).toBe(true);
    expect(finalInfo.detector?.drop?.dropped).toBe(true);
    expect(record.success).toBe(true);
    expect(record.steps.at(-1)?.reward).toBe(1);
    expect(record.steps.at(-1)?.done).toBe(true);
    expect(record.steps.slice(0, -1).every((s) => s.reward === 0 && !s.done)).toBe(true);
  });

  it('a grasp closed high above the bin is a detected failure, matching ground truth', async () => {
    const env = await cubeEnv(oneCube);
    env.reset({ seed: 7 });
    const r = env.step(Float32Array.from([0, 0, 1, 0, 1, 1]));
    expect(r.terminated).toBe(true);
    expect(r.truncated).toBe(false);
    expect(r.reward).toBe(0);
    expect(r.info.detector?.fingersBlocked).toBe(false);
    expect(r.info.evaluation).toMatchObject({ success: false, groundTruthSuccess: false });
    expect(() => env.step(Float32Array.from([0, 0, 0, 0, 0, 0]))).toThrow(/episode is over/);
  });

  it('truncates after maxSteps with the step penalty on non-final steps', async () => {
    const scene = defaultScene({ objects: { count: 1 }, episode: { maxSteps: 3, stepPenalty: -0.05 } });
    const env = await cubeEnv(scene);
    const { obs } = env.reset({ seed: 3 });
    expect(obs.image).toHaveLength(scene.camera.width * scene.camera.height * 3);
    const hold = Float32Array.from([0, 0, 0, 0, -1, -1]);
    expect(env.step(hold).reward).toBe(-0.05);
    expect(env.step(hold).truncated).toBe(false);
    const last = env.step(hold);
    expect(last.truncated).toBe(true);
    expect(last.terminated).toBe(false);
    expect(last.reward).toBe(0);
  });
});
