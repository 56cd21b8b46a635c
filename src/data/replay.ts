/**
 * Grasp episodes into the replay buffer of src/rl: the run's own episodes as
 * they arrive (`addEpisode`, the online path) and a dataset's, one episode file
 * in memory at a time (`fillReplay`, the offline path). Both go through
 * `addEpisode`, so they store the same transitions.
 *
 * Every pincer episode ends with the final grasp and its reward: the env reports
 * `terminated` on that step whether the policy terminated or the step budget ran
 * out, StepRecord and the datasets record it as `done` (`next.done`), and here it
 * becomes the replay's terminated flag, so nothing bootstraps past it (QT-Opt's
 * convention). The buffer asks for a final frame at episode ends; a record has
 * none after the last action, so the last observation stands in: with
 * termination its discount is 0 and the frame never enters a target.
 *
 * The buffer's vectorDim says how many state values it keeps per frame (the
 * network's stateDim: qtopt's qtoptReplayConfig), the first of env's STATE_NAMES;
 * a dataset that stores fewer is refused in one line (reader.ts requireState).
 */
import type { EpisodeRecord, Observation } from '../env/index.js';
import type { ReplayBuffer, ReplayConfig, ReplayObservation } from '../rl/index.js';
import { ACTION_DIM, gripperState } from '../env/index.js';
import { DatasetError } from './errors.js';
import type { DatasetSpec } from './features.js';
import { requireState, type DatasetReader } from './reader.js';

/** The replay layout that holds a dataset's transitions whole: its images, every state value it stores, its actions. */
export function replayShapeOf(spec: DatasetSpec): Pick<ReplayConfig, 'imageShape' | 'vectorDim' | 'action'> {
  return { imageShape: [spec.imageHeight, spec.imageWidth, 3], vectorDim: spec.stateNames.length, action: { kind: 'continuous', dim: ACTION_DIM } };
}

/** Image as is; vector = the first `vectorDim` state values (env's STATE_NAMES order): as many as the network reads. */
export function toReplayObservation(obs: Observation, vectorDim: number): ReplayObservation {
  return { image: obs.image, vector: gripperState(obs, vectorDim) };
}

/** Add episodes `from` .. `to - 1` to `replay` in order; returns how many episodes and transitions went in. */
export async function fillReplay(
  reader: DatasetReader,
  replay: ReplayBuffer,
  range: { from?: number; to?: number } = {},
): Promise<{ episodes: number; transitions: number }> {
  const want = replayShapeOf(reader.spec);
  const have = replay.config;
  if (JSON.stringify([have.imageShape, have.action]) !== JSON.stringify([want.imageShape, want.action])) {
    throw new DatasetError(
      `${reader.dir} holds images ${want.imageShape!.join('x')}, actions ${ACTION_DIM}; ` +
        `the replay buffer takes images ${have.imageShape?.join('x') ?? 'none'}, actions ${JSON.stringify(have.action)}`,
      true,
    );
  }
  requireState(reader.dir, reader.spec, have.vectorDim);
  let episodes = 0;
  let transitions = 0;
  for await (const episode of reader.episodes(range.from, range.to)) {
    try {
      addEpisode(replay, episode);
    } catch (err) {
      throw new DatasetError(`${reader.dir} episode ${episode.episodeIndex}: ${(err as Error).message}`);
    }
    episodes++;
    transitions += episode.steps.length;
  }
  return { episodes, transitions };
}

/**
 * Add one finished episode: step t as (obs_t, a_t, r_t), the last one terminated.
 * Throws (before writing anything) unless exactly the last step is done.
 */
export function addEpisode(replay: ReplayBuffer, episode: Pick<EpisodeRecord, 'steps'>): void {
  const steps = episode.steps;
  const last = steps.length - 1;
  if (last < 0) throw new Error('addEpisode: the episode has no steps');
  const wrong = steps.findIndex((step, t) => step.done !== (t === last));
  if (wrong >= 0) throw new Error(`addEpisode: step ${wrong} of ${steps.length} is ${steps[wrong]!.done ? '' : 'not '}done; only the last step ends an episode`);
  steps.forEach((step, t) => {
    const obs = toReplayObservation(step.observation, replay.config.vectorDim);
    replay.add(obs, step.action, step.reward, step.done, false, t === last ? obs : undefined);
  });
}
