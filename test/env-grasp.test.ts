/**
 * GraspEnv end to end on the real sim and renderer: determinism, a scripted
 * grasp of an easy object, the success detector on a known success and a
 * known failure (checked against simulator ground truth), and the step
 * budget's final grasp being terminal all the way into the replay.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { addEpisode } from '../src/data/index.js';
import { ACTION_DIM, Episode, createGraspEnv, gripperState, graspFailure, listObjectSource, outcomeBreakdown, runEpisode, splitObjectSource, type GraspEnv, type Policy, type StepInfo, type StepResult } from '../src/env/node.js';
import { Rng } from '../src/random/index.js';
import { ReplayBuffer, resolveReplayConfig } from '../src/rl/index.js';
import { convexHull, type ObjectSpec } from '../src/objects/index.js';
import { DescendPolicy, RandomPolicy, ReachPolicy, ScriptedPolicy, planForObject } from '../src/policies/index.js';
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

  it('observes the palm\'s own x, y and yaw, as the privileged snapshot has them, and they follow the gripper', async () => {
    const env = await cubeEnv(oneCube);
    const pose = (r: { obs: { x: number; y: number; yaw: number; height: number }; info: StepInfo }) => {
      const g = r.info.privileged.snapshot.gripper;
      expect([r.obs.x, r.obs.y, r.obs.yaw, r.obs.height]).toEqual([g.position[0], g.position[1], g.yaw, g.position[2]]);
      return r.obs;
    };
    const start = pose(env.reset({ seed: 2 }));
    // dx, dy and dyaw at full scale, fingers open, no termination.
    const moved = pose(env.step(Float32Array.of(1, -1, 0, 1, -1, -1)));
    expect(moved.x - start.x).toBeGreaterThan(0.005);
    expect(moved.y - start.y).toBeLessThan(-0.005);
    expect(moved.yaw - start.yaw).toBeGreaterThan(0.05);
    expect(gripperState(moved)).toEqual(Float32Array.of(moved.aperture, 0, moved.height, moved.x, moved.y, moved.yaw));
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
    // Ground truth for diagnosis: held at close, lifted, no failure.
    expect(finalInfo.evaluation).toMatchObject({ heldAtClose: [0], graspedObject: 0, descentBlockedBy: null });
    expect(graspFailure(finalInfo)).toBeNull();
    // It closed over the cube: the palm within a centimetre of the cube's centre, both read once the fingers closed.
    const { palm, objects } = finalInfo.evaluation!.atClose;
    expect(objects).toHaveLength(1);
    expect(Math.hypot(palm[0] - objects[0][0], palm[1] - objects[0][1])).toBeLessThan(0.01);
    expect(outcomeBreakdown([finalInfo]).by_family).toEqual({ box: { episodes: 1, successes: 1, success_rate: 1, ground_truth_successes: 1 } });
  });

  it('the descend baseline comes straight down with open fingers and grasps at the bottom after the whole budget', async () => {
    const env = await cubeEnv(oneCube);
    const { record } = runEpisode(env, new DescendPolicy(), 3);
    expect(record.steps).toHaveLength(oneCube.episode.maxSteps);
    expect(record.steps.every((s) => !s.observation.closed)).toBe(true);
    const heights = record.steps.map((s) => s.observation.height);
    for (let t = 1; t < heights.length; t++) expect(heights[t]!).toBeLessThanOrEqual(heights[t - 1]! + 1e-4);
    expect(heights.at(-1)!).toBeLessThan(0.03);
    expect(record.steps.at(-1)?.done).toBe(true);
  });

  it('the reach baseline goes straight to a random point of the bin while descending, and grasps there', async () => {
    const env = await cubeEnv(oneCube);
    const policy = new ReachPolicy(oneCube);
    const ends: [number, number][] = [];
    for (let seed = 0; seed < 8; seed++) {
      const episode = new Episode(env, policy, seed);
      const path: number[][] = [];
      while (!episode.done) {
        path.push([...episode.info.privileged.snapshot.gripper.position]);
        episode.step();
      }
      const { steps } = episode.outcome().record;
      // Closes, then terminates the next step, well inside the budget.
      expect(steps.length).toBeLessThan(oneCube.episode.maxSteps - 2);
      expect(steps.at(-2)!.action[4]).toBe(1);
      expect(steps.at(-2)!.action[5]).toBe(-1);
      expect(steps.at(-1)!.action[5]).toBe(1);
      // Down to the floor or onto the cube, on a straight line in x, y from the start to where the fingers closed.
      const { atClose, descentBlockedBy } = episode.info.evaluation!;
      const palm = atClose.palm;
      expect(path.at(-1)![2] < 0.02 || descentBlockedBy !== null).toBe(true);
      for (const [x, y] of path) {
        const cross = (palm[0] - path[0][0]) * (y - path[0][1]) - (palm[1] - path[0][1]) * (x - path[0][0]);
        // Within the arrival tolerance (6 mm) of the line.
        expect(Math.abs(cross) / Math.hypot(palm[0] - path[0][0], palm[1] - path[0][1])).toBeLessThan(0.006);
      }
      ends.push(palm);
    }
    // A new point every episode, anywhere in the bin.
    expect(new Set(ends.map(([x, y]) => `${x.toFixed(3)},${y.toFixed(3)}`)).size).toBe(8);
    expect(Math.max(...ends.map(([x]) => x)) - Math.min(...ends.map(([x]) => x))).toBeGreaterThan(0.15);
    expect(Math.max(...ends.map(([, y]) => y)) - Math.min(...ends.map(([, y]) => y))).toBeGreaterThan(0.15);
  });

  it('the aimed reach goes to the object plus its spread, read once at the first step', async () => {
    const env = await cubeEnv(oneCube);
    const offsets = (spread: number) =>
      [0, 1, 2, 3, 4, 5].map((seed) => {
        const episode = new Episode(env, new ReachPolicy(oneCube, spread), seed);
        const [cx, cy] = episode.info.privileged.snapshot.objects[0].position;
        while (!episode.done) episode.step();
        const { palm } = episode.info.evaluation!.atClose;
        return Math.hypot(palm[0] - cx, palm[1] - cy);
      });
    // No spread: onto the cube's centre every time (within the arrival tolerance and the cube's push).
    for (const d of offsets(0)) expect(d).toBeLessThan(0.012);
    // A 5 cm spread: off the centre by about that much (a 2-d Gaussian's mean distance is 1.25 σ).
    const spread = offsets(0.05);
    expect(spread.reduce((sum, d) => sum + d, 0) / spread.length).toBeGreaterThan(0.025);
    expect(new ReachPolicy(oneCube, 0.05).name).toBe('reach+aim:0.05');
  });

  it('the aligned aimed reach closes square to the object, where the unaligned one closes at a random yaw', async () => {
    const env = await cubeEnv(oneCube);
    // The closing yaw's distance from the scripted grasper's, over a quarter turn (a cube is square both ways).
    const skew = (alignedYaw: number) =>
      [0, 1, 2, 3, 4, 5].map((seed) => {
        const episode = new Episode(env, new ReachPolicy(oneCube, 0.01, alignedYaw), seed);
        const planned = planForObject(0, episode.info.privileged, oneCube)!.yaw;
        let yaw = NaN;
        while (!episode.done) {
          yaw = episode.info.privileged.snapshot.gripper.yaw;
          episode.step();
        }
        const d = (((yaw - planned) % (Math.PI / 2)) + Math.PI / 2) % (Math.PI / 2);
        return Math.min(d, Math.PI / 2 - d);
      });
    for (const d of skew(1)) expect(d).toBeLessThan(0.05);
    const random = skew(0);
    expect(random.reduce((sum, d) => sum + d, 0) / random.length).toBeGreaterThan(0.15);
    expect(new ReachPolicy(oneCube, 0.05, 0.5).name).toBe('reach+aim:0.05+yaw:0.5');
    expect(() => new ReachPolicy(oneCube, null, 0.5)).toThrow(/only when aimed/);
  });

  it('names a finger landing on the object, closing on nothing, as blocked', async () => {
    const env = await cubeEnv(oneCube);
    let { info } = env.reset({ seed: 7 });
    const { maxTranslationXY, maxTranslationZ } = oneCube.action;
    // Palm yaw 0: the fingers sit maxAperture/2 + fingerThickness/2 either side of the palm centre along x; put the
    // one on the bin's inner side over the cube (the other then stays off the walls).
    const [cx, cy] = info.privileged.snapshot.objects[0].position;
    const goal = [cx - Math.sign(cx) * (oneCube.gripper.maxAperture / 2 + oneCube.gripper.fingerThickness / 2), cy];
    const clamp = (v: number) => Math.max(-1, Math.min(1, v));
    let r: StepResult | null = null;
    for (let step = 0; step < 12; step++) {
      const g = info.privileged.snapshot.gripper.position;
      const near = Math.hypot(goal[0] - g[0], goal[1] - g[1]) < 0.003;
      r = env.step(Float32Array.from([clamp((goal[0] - g[0]) / maxTranslationXY), clamp((goal[1] - g[1]) / maxTranslationXY), near ? -1 : 0, 0, -1, -1]));
      info = r.info;
    }
    expect(info.privileged.snapshot.gripper.position[2]).toBeGreaterThan(0.03);
    r = env.step(Float32Array.from([0, 0, -maxTranslationZ, 0, 1, 1]));
    expect(r.info.evaluation).toMatchObject({ groundTruthSuccess: false, heldAtClose: [], descentBlockedBy: 0 });
    expect(graspFailure(r.info)).toBe('blocked');
  });

  it('a grasp closed high above the bin is a detected failure, matching ground truth', async () => {
    const env = await cubeEnv(oneCube);
    env.reset({ seed: 7 });
    const r = env.step(Float32Array.from([0, 0, 1, 0, 1, 1]));
    expect(r.terminated).toBe(true);
    expect(r.truncated).toBe(false);
    expect(r.reward).toBe(0);
    expect(r.info.detector?.fingersBlocked).toBe(false);
    expect(r.info.evaluation).toMatchObject({ success: false, groundTruthSuccess: false, heldAtClose: [], descentBlockedBy: null });
    expect(graspFailure(r.info)).toBe('missed');
    expect(() => env.step(Float32Array.from([0, 0, 0, 0, 0, 0]))).toThrow(/episode is over/);
  });

  it('ends after maxSteps with the final grasp, terminal (not truncated), the step penalty on non-final steps', async () => {
    const scene = defaultScene({ objects: { count: 1 }, episode: { maxSteps: 3, stepPenalty: -0.05 } });
    const env = await cubeEnv(scene);
    const { obs } = env.reset({ seed: 3 });
    expect(obs.image).toHaveLength(scene.camera.width * scene.camera.height * 3);
    const hold = Float32Array.from([0, 0, 0, 0, -1, -1]);
    expect(env.step(hold).reward).toBe(-0.05);
    const second = env.step(hold);
    expect([second.terminated, second.truncated]).toEqual([false, false]);
    const last = env.step(hold);
    expect(last.terminated).toBe(true);
    expect(last.truncated).toBe(false);
    expect(last.info.step).toBe(scene.episode.maxSteps);
    // The grasp ran: it was evaluated, and the reward is the sparse one (no penalty).
    expect(last.info.evaluation).toBeDefined();
    expect(last.reward).toBe(0);
  });

  it('online path: a budget-ended episode is terminal from the env through runEpisode into the replay (discount 0 at the end)', async () => {
    const scene = defaultScene({ objects: { count: 1 }, episode: { maxSteps: 3, stepPenalty: -0.05 } });
    const env = await cubeEnv(scene);
    // Descends with open fingers and never terminates: only the step budget ends the episode.
    const descend: Policy = { name: 'descend', reset: () => {}, act: () => Float32Array.from([0, 0, -1, 0, -1, -1]) };
    const { record } = runEpisode(env, descend, 11);
    expect(record.steps.map((s) => s.done)).toEqual([false, false, true]);
    const gamma = 0.9;
    const replayConfig = resolveReplayConfig({
      capacity: 16,
      imageShape: [scene.camera.height, scene.camera.width, 3],
      vectorDim: 3,
      action: { kind: 'continuous', dim: ACTION_DIM },
      gamma,
      nStep: 2,
      prioritized: false,
      priorityAlpha: 0.6,
      priorityEpsilon: 1e-6,
    });
    const replay = new ReplayBuffer(replayConfig);
    addEpisode(replay, record);
    expect(replay.validCount).toBe(3);
    const batch = replay.createBatch(64);
    replay.sample(new Rng(2), batch);
    const r = record.steps.map((s) => s.reward); // [−0.05, −0.05, final]
    // Slot t holds step t (a fresh buffer): 2-step returns, cut at the terminal grasp.
    const expected = [
      { reward: r[0]! + gamma * r[1]!, discount: gamma ** 2, steps: 2 },
      { reward: r[1]! + gamma * r[2]!, discount: 0, steps: 2 },
      { reward: r[2]!, discount: 0, steps: 1 },
    ];
    const seen = new Set<number>();
    for (let b = 0; b < batch.size; b++) {
      const t = batch.indices[b]!;
      seen.add(t);
      expect(batch.rewards[b]).toBeCloseTo(expected[t]!.reward, 6);
      expect(batch.discounts[b]).toBeCloseTo(expected[t]!.discount, 6);
      expect(batch.steps[b]).toBe(expected[t]!.steps);
      expect(Array.from(batch.vectors.subarray(b * 3, b * 3 + 3))).toEqual(
        [record.steps[t]!.observation.aperture, record.steps[t]!.observation.closed ? 1 : 0, record.steps[t]!.observation.height].map(Math.fround),
      );
    }
    expect([...seen].sort()).toEqual([0, 1, 2]);

    // A learner that feeds the env's own flags to the replay, Gymnasium style, gets the same: no bootstrap.
    const raw = new ReplayBuffer(replayConfig);
    let { obs } = env.reset({ seed: 11 });
    const state = (o: typeof obs) => ({ image: o.image, vector: [o.aperture, o.closed ? 1 : 0, o.height] });
    for (;;) {
      const action = descend.act(obs, null as never);
      const result = env.step(action);
      const end = result.terminated || result.truncated;
      raw.add(state(obs), action, result.reward, result.terminated, result.truncated, end ? state(result.obs) : undefined);
      if (end) break;
      obs = result.obs;
    }
    raw.sample(new Rng(3), batch);
    for (let b = 0; b < batch.size; b++) expect(batch.discounts[b]).toBeCloseTo(expected[batch.indices[b]!]!.discount, 6);
  });

  it('addEpisode refuses an episode whose done flags are not exactly its last step', () => {
    const replay = new ReplayBuffer(
      resolveReplayConfig({ capacity: 8, imageShape: null, vectorDim: 3, action: { kind: 'continuous', dim: ACTION_DIM }, gamma: 0.9, nStep: 1, prioritized: false, priorityAlpha: 0.6, priorityEpsilon: 1e-6 }),
    );
    const step = (done: boolean) => ({
      observation: { image: new Uint8Array(0), imageWidth: 0, imageHeight: 0, aperture: 0.1, closed: false, height: 0.2, x: 0, y: 0, yaw: 0 },
      action: new Float32Array(ACTION_DIM),
      reward: 0,
      done,
      success: false,
    });
    expect(() => addEpisode(replay, { steps: [step(false), step(false)] })).toThrow(/step 1 of 2 is not done/);
    expect(() => addEpisode(replay, { steps: [step(true), step(true)] })).toThrow(/step 0 of 2 is done/);
    expect(replay.size).toBe(0);
  });
});
