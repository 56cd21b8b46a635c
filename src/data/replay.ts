/**
 * Offline training input: a dataset's transitions poured into the replay
 * buffer of src/rl, one episode file in memory at a time.
 *
 * Every pincer episode ends with the final grasp and its reward, so `done` is
 * a terminal state (no bootstrap past it, QT-Opt's convention) and is stored
 * as `terminated`. The buffer asks for a final frame at episode ends; the
 * dataset has none after the last action, so the last observation stands in:
 * with termination its discount is 0 and the frame never enters a target.
 */
import type { EpisodeRecord, Observation } from '../env/index.js';
import type { ReplayBuffer, ReplayConfig, ReplayObservation } from '../rl/index.js';
import { ACTION_DIM } from '../env/index.js';
import { DatasetError } from './errors.js';
import { STATE_DIM, type DatasetSpec } from './features.js';
import type { DatasetReader } from './reader.js';

/** The replay observation and action layout a dataset's transitions need. */
export function replayShapeOf(spec: DatasetSpec): Pick<ReplayConfig, 'imageShape' | 'vectorDim' | 'action'> {
  return { imageShape: [spec.imageHeight, spec.imageWidth, 3], vectorDim: STATE_DIM, action: { kind: 'continuous', dim: ACTION_DIM } };
}

/** Image as is; vector = observation.state [aperture, closed, height]. */
export function toReplayObservation(obs: Observation): ReplayObservation {
  return { image: obs.image, vector: [obs.aperture, obs.closed ? 1 : 0, obs.height] };
}

/** Add episodes `from` .. `to - 1` to `replay` in order; returns how many episodes and transitions went in. */
export async function fillReplay(
  reader: DatasetReader,
  replay: ReplayBuffer,
  range: { from?: number; to?: number } = {},
): Promise<{ episodes: number; transitions: number }> {
  const want = replayShapeOf(reader.spec);
  const have = replay.config;
  if (JSON.stringify([have.imageShape, have.vectorDim, have.action]) !== JSON.stringify([want.imageShape, want.vectorDim, want.action])) {
    throw new DatasetError(
      `${reader.dir} holds images ${want.imageShape!.join('x')}, state ${want.vectorDim}, actions ${ACTION_DIM}; ` +
        `the replay buffer takes images ${have.imageShape?.join('x') ?? 'none'}, state ${have.vectorDim}, actions ${JSON.stringify(have.action)}`,
      true,
    );
  }
  let episodes = 0;
  let transitions = 0;
  for await (const episode of reader.episodes(range.from, range.to)) {
    addEpisode(replay, episode);
    episodes++;
    transitions += episode.steps.length;
  }
  return { episodes, transitions };
}

/** One episode into `replay`, its last step terminal (see the file comment); online training adds episodes this way too. */
export function addEpisode(replay: ReplayBuffer, episode: Pick<EpisodeRecord, 'steps'>): void {
  const last = episode.steps.length - 1;
  episode.steps.forEach((step, t) => {
    const obs = toReplayObservation(step.observation);
    replay.add(obs, step.action, step.reward, step.done, false, t === last ? obs : undefined);
  });
}
