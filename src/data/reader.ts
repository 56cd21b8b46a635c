/**
 * Reads a dataset back as EpisodeRecords or transitions, one episode file in
 * memory at a time. `expect` states what the consumer was built for (image
 * size, camera, features); a dataset that differs is refused on open with one
 * line saying what differs, instead of failing deep inside training.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACTION_DIM, STATE_NAMES, type EpisodeRecord, type Observation, type StepRecord } from '../env/index.js';
import { DatasetError } from './errors.js';
import { decodePng, readEpisodeRows, type EpisodeEntry } from './episode.js';
import { datasetFeatures, imageKey, type DatasetSpec } from './features.js';
import { EPISODES_PATH, episodePath, type DatasetInfo } from './layout.js';
import { isLockedByOther, readHeader, readInfo, readJsonl, reconcile } from './store.js';

export interface ReadExpect {
  /** Camera whose images the consumer reads. */
  camera?: string;
  /** Image size the consumer's network takes, px. */
  imageWidth?: number;
  imageHeight?: number;
  /** Feature names that must be present (info.json `features`). */
  features?: string[];
  /** State values the consumer's network reads (its stateDim): the first this many of STATE_NAMES must be stored. */
  stateDim?: number;
}

/** One (s, a, r, s') transition; `nextObservation` is null after the episode's last step (terminal). */
export interface Transition {
  episodeIndex: number;
  frameIndex: number;
  observation: Observation;
  action: Float32Array;
  reward: number;
  done: boolean;
  success: boolean;
  nextObservation: Observation | null;
}

export class DatasetReader {
  private constructor(
    readonly dir: string,
    readonly spec: DatasetSpec,
    readonly info: DatasetInfo,
    /** episodes.jsonl, in index order. */
    readonly entries: EpisodeEntry[],
    /** Metadata was behind the episode files and was rebuilt on open. */
    readonly rebuilt: boolean,
  ) {}

  /** Open a dataset, bringing its metadata level with its episode files unless a live writer holds it. */
  static open(dir: string, expect: ReadExpect = {}): DatasetReader {
    const header = readHeader(dir);
    let rebuilt = false;
    if (!isLockedByOther(dir)) rebuilt = reconcile(dir, header).rebuilt;
    const info = readInfo(dir);
    checkExpect(dir, header.spec, info, expect);
    const entries = readJsonl<EpisodeEntry>(dir, EPISODES_PATH).slice(0, info.total_episodes);
    if (entries.length !== info.total_episodes) {
      throw new DatasetError(`${join(dir, EPISODES_PATH)} lists ${entries.length} episodes, meta/info.json ${info.total_episodes}`);
    }
    return new DatasetReader(dir, header.spec, info, entries, rebuilt);
  }

  get totalEpisodes(): number {
    return this.entries.length;
  }

  get totalFrames(): number {
    return this.info.total_frames;
  }

  /** Episode `index` as the env produced it (state and reward rounded to float32, as stored). */
  async readEpisode(index: number): Promise<EpisodeRecord> {
    const entry = this.entries[index];
    if (!entry) throw new DatasetError(`${this.dir} has no episode ${index} (it holds ${this.totalEpisodes})`);
    const rel = episodePath(index);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(join(this.dir, rel));
    } catch {
      throw new DatasetError(`${rel} is missing`);
    }
    const { imageWidth, imageHeight } = this.spec;
    const S = this.spec.stateNames.length;
    const rows = await readEpisodeRows(bytes, this.spec, rel);
    if (rows.reward.length !== entry.length) throw new DatasetError(`${rel}: ${rows.reward.length} frames, meta/episodes.jsonl says ${entry.length}`);
    const steps: StepRecord[] = [];
    for (let t = 0; t < entry.length; t++) {
      const image = await decodePng(rows.pngs[t], imageWidth, imageHeight, `${rel} frame ${t}`);
      const s = rows.state.subarray(t * S, (t + 1) * S);
      steps.push({
        // A dataset without x, y and yaw leaves them NaN: unknown, and loud if a consumer reads them anyway.
        observation: { image, imageWidth, imageHeight, aperture: s[0], closed: s[1] > 0.5, height: s[2], x: s[3] ?? NaN, y: s[4] ?? NaN, yaw: s[5] ?? NaN },
        action: rows.action.slice(t * ACTION_DIM, (t + 1) * ACTION_DIM),
        reward: rows.reward[t],
        done: rows.done[t] === 1,
        success: rows.success[t] === 1,
      });
    }
    return {
      seed: entry.seed,
      split: entry.split,
      objectIds: entry.object_ids,
      steps,
      success: entry.success,
      groundTruthSuccess: entry.ground_truth_success,
      policy: entry.policy,
    };
  }

  /** Episodes `from` .. `to - 1` in order, one in memory at a time. */
  async *episodes(from = 0, to = this.totalEpisodes): AsyncGenerator<EpisodeRecord & { episodeIndex: number }> {
    for (let i = from; i < to; i++) yield { ...(await this.readEpisode(i)), episodeIndex: i };
  }

  /** Every transition in dataset order; s' is the next frame of the same episode. */
  async *transitions(from = 0, to = this.totalEpisodes): AsyncGenerator<Transition> {
    for await (const episode of this.episodes(from, to)) {
      const steps = episode.steps;
      for (let t = 0; t < steps.length; t++) {
        const step = steps[t];
        yield {
          episodeIndex: episode.episodeIndex,
          frameIndex: t,
          observation: step.observation,
          action: step.action,
          reward: step.reward,
          done: step.done,
          success: step.success,
          nextObservation: t + 1 < steps.length ? steps[t + 1].observation : null,
        };
      }
    }
  }
}

/** Refuse, in one line naming `dir` and what is missing, a dataset that stores fewer state values than a network's stateDim. */
export function requireState(dir: string, spec: DatasetSpec, stateDim: number): void {
  const have = spec.stateNames;
  if (stateDim <= have.length) return;
  throw new DatasetError(
    `${dir}: observation.state has [${have.join(', ')}]; the network's stateDim ${stateDim} needs ${STATE_NAMES.slice(have.length, stateDim).join(', ')}: collect it again`,
    true,
  );
}

function checkExpect(dir: string, spec: DatasetSpec, info: DatasetInfo, expect: ReadExpect): void {
  if (expect.camera !== undefined && expect.camera !== spec.camera) {
    throw new DatasetError(`${dir} has camera '${spec.camera}', expected '${expect.camera}'`, true);
  }
  const w = expect.imageWidth ?? spec.imageWidth;
  const h = expect.imageHeight ?? spec.imageHeight;
  if (w !== spec.imageWidth || h !== spec.imageHeight) {
    throw new DatasetError(`${dir} has ${spec.imageWidth}x${spec.imageHeight} images, expected ${w}x${h}`, true);
  }
  const missing = (expect.features ?? []).filter((f) => !(f in info.features));
  if (missing.length > 0) throw new DatasetError(`${dir} lacks feature${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`, true);
  if (expect.stateDim !== undefined) requireState(dir, spec, expect.stateDim);
  const declared = JSON.stringify(info.features);
  if (declared !== JSON.stringify(datasetFeatures(spec))) {
    throw new DatasetError(`${dir}: meta/info.json features differ from the ${imageKey(spec.camera)} dataset layout this pincer writes`);
  }
}
