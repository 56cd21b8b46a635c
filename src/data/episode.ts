/**
 * One episode <-> one parquet file.
 *
 * Writing has two halves so collectors can do the expensive one in parallel:
 * `prepareEpisode` (PNG encoding and image statistics; runs in a collector
 * worker) and `encodeEpisode` (assigns the episode and global frame indices,
 * lays out the columns; runs where episodes are written in order). Each file
 * also carries its own episodes.jsonl entry and episode stats in the parquet
 * key-value metadata, so the `meta/` files can be rebuilt from the episode
 * files alone after a crash.
 */
import { parquetWriteBuffer } from 'hyparquet-writer';
import { parquetMetadata, parquetReadObjects, type FileMetaData } from 'hyparquet';
import { ACTION_DIM, STATE_DIM, gripperState, type EpisodeRecord } from '../env/index.js';
import { encodePng } from '../render/node.js';
import { DatasetError } from './errors.js';
import { datasetFeatures, huggingfaceMetadata, imageKey, parquetSchema, type DatasetSpec } from './features.js';
import { StatsAccumulator, statsFromJson, statsToJson, type EpisodeStats } from './stats.js';

/** An episodes.jsonl line: LeRobot's fields plus pincer's. */
export interface EpisodeEntry {
  episode_index: number;
  tasks: string[];
  length: number;
  /** Detected success (what the reward used). */
  success: boolean;
  /** Simulator ground truth, for validation only. */
  ground_truth_success: boolean;
  object_ids: string[];
  /** Object split the episode drew from. */
  split: EpisodeRecord['split'];
  seed: number;
  policy: string;
}

/** An episode with its images PNG-encoded and the per-frame columns packed; safe to post between threads. */
export interface PreparedEpisode {
  imageWidth: number;
  imageHeight: number;
  /** One PNG per frame. [T] */
  pngs: Uint8Array[];
  /** Every state value env records, whatever the dataset stores of them (encodeEpisode). [T*STATE_DIM] */
  state: Float32Array;
  /** [T*ACTION_DIM] */
  action: Float32Array;
  /** [T] */
  reward: Float32Array;
  done: Uint8Array;
  success: Uint8Array;
  /** Per-channel stats of the raw images, scaled to [0, 1]. */
  imageStats: EpisodeStats[string];
  record: Pick<EpisodeRecord, 'seed' | 'split' | 'objectIds' | 'success' | 'groundTruthSuccess' | 'policy'>;
}

/** PNG -> RGB pixels, checking the size; throws DatasetError naming `where`. */
export async function decodePng(png: Uint8Array, width: number, height: number, where: string): Promise<Uint8Array> {
  // Loaded on first use: collectors only encode, and sharp's native module costs them 60–160 ms at start-up.
  const { default: sharp } = await import('sharp');
  let decoded: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    decoded = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new DatasetError(`${where}: image does not decode (${(err as Error).message})`);
  }
  const { info, data } = decoded;
  if (info.width !== width || info.height !== height || info.channels !== 3) {
    throw new DatasetError(`${where}: image is ${info.width}x${info.height}x${info.channels}, expected ${width}x${height}x3`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export function prepareEpisode(record: EpisodeRecord): PreparedEpisode {
  const steps = record.steps;
  if (steps.length === 0) throw new DatasetError(`episode with seed ${record.seed} has no steps`);
  const { imageWidth, imageHeight } = steps[0].observation;
  const T = steps.length;
  const state = new Float32Array(T * STATE_DIM);
  const action = new Float32Array(T * ACTION_DIM);
  const reward = new Float32Array(T);
  const done = new Uint8Array(T);
  const success = new Uint8Array(T);
  const images = new StatsAccumulator(3);
  const pngs: Uint8Array[] = [];
  steps.forEach((step, t) => {
    const obs = step.observation;
    if (obs.imageWidth !== imageWidth || obs.imageHeight !== imageHeight || obs.image.length !== imageWidth * imageHeight * 3) {
      throw new DatasetError(`episode with seed ${record.seed}: frame ${t} is not ${imageWidth}x${imageHeight}x3`);
    }
    if (step.action.length !== ACTION_DIM) throw new DatasetError(`episode with seed ${record.seed}: action ${t} has ${step.action.length} values, expected ${ACTION_DIM}`);
    state.set(gripperState(obs), t * STATE_DIM);
    action.set(step.action, t * ACTION_DIM);
    reward[t] = step.reward;
    done[t] = step.done ? 1 : 0;
    success[t] = step.success ? 1 : 0;
    images.addImage(obs.image);
    pngs.push(encodePng(obs.image, imageWidth, imageHeight));
  });
  const { seed, split, objectIds, policy } = record;
  return {
    imageWidth,
    imageHeight,
    pngs,
    state,
    action,
    reward,
    done,
    success,
    imageStats: images.finish(255, imageWidth * imageHeight),
    record: { seed, split, objectIds, success: record.success, groundTruthSuccess: record.groundTruthSuccess, policy },
  };
}

/** The columns of one episode as numbers, in frame order; shared by encoding and validation. */
interface EpisodeColumns {
  /** The dataset's state values, S = spec.stateNames.length per frame. [T*S] */
  state: Float32Array;
  action: Float32Array;
  reward: Float32Array;
  done: Uint8Array;
  success: Uint8Array;
}

/** Stats of every non-image feature of one episode, computed from its columns. */
export function columnStats(cols: EpisodeColumns, spec: DatasetSpec, episodeIndex: number, startIndex: number): EpisodeStats {
  const T = cols.reward.length;
  const S = spec.stateNames.length;
  const fps = spec.fps;
  const acc = {
    'observation.state': new StatsAccumulator(S),
    action: new StatsAccumulator(ACTION_DIM),
    timestamp: new StatsAccumulator(1),
    frame_index: new StatsAccumulator(1),
    episode_index: new StatsAccumulator(1),
    index: new StatsAccumulator(1),
    task_index: new StatsAccumulator(1),
    'next.reward': new StatsAccumulator(1),
    'next.done': new StatsAccumulator(1),
    'next.success': new StatsAccumulator(1),
  };
  for (let t = 0; t < T; t++) {
    acc['observation.state'].addFrame(cols.state.subarray(t * S, (t + 1) * S));
    acc.action.addFrame(cols.action.subarray(t * ACTION_DIM, (t + 1) * ACTION_DIM));
    acc.timestamp.addFrame([Math.fround(t / fps)]);
    acc.frame_index.addFrame([t]);
    acc.episode_index.addFrame([episodeIndex]);
    acc.index.addFrame([startIndex + t]);
    acc.task_index.addFrame([0]);
    acc['next.reward'].addFrame([cols.reward[t]]);
    acc['next.done'].addFrame([cols.done[t]]);
    acc['next.success'].addFrame([cols.success[t]]);
  }
  const out: EpisodeStats = {};
  for (const [key, a] of Object.entries(acc)) out[key] = a.finish();
  return out;
}

/**
 * The first S of each frame's STATE_DIM values [T*STATE_DIM] → [T*S]: what a dataset whose
 * state has S values stores. A resumed dataset collected before x, y and yaw were
 * recorded goes on with its 3, so its episodes keep one layout.
 */
function storedState(state: Float32Array, T: number, S: number): Float32Array {
  if (S === STATE_DIM) return state;
  const out = new Float32Array(T * S);
  for (let t = 0; t < T; t++) out.set(state.subarray(t * STATE_DIM, t * STATE_DIM + S), t * S);
  return out;
}

/** Key of the parquet key-value entry holding the episode's entry and stats. */
const PINCER_KEY = 'pincer';

export interface EncodedEpisode {
  bytes: Uint8Array;
  entry: EpisodeEntry;
  stats: EpisodeStats;
}

/** Lay out one prepared episode as a parquet file: episode `episodeIndex`, first global frame index `startIndex`. */
export function encodeEpisode(prepared: PreparedEpisode, spec: DatasetSpec, episodeIndex: number, startIndex: number): EncodedEpisode {
  if (prepared.imageWidth !== spec.imageWidth || prepared.imageHeight !== spec.imageHeight) {
    throw new DatasetError(
      `episode ${episodeIndex} has ${prepared.imageWidth}x${prepared.imageHeight} images; the dataset holds ${spec.imageWidth}x${spec.imageHeight}`,
    );
  }
  const T = prepared.reward.length;
  const r = prepared.record;
  const entry: EpisodeEntry = {
    episode_index: episodeIndex,
    tasks: [spec.task],
    length: T,
    success: r.success,
    ground_truth_success: r.groundTruthSuccess,
    object_ids: r.objectIds,
    split: r.split,
    seed: r.seed,
    policy: r.policy,
  };
  const S = spec.stateNames.length;
  const state = storedState(prepared.state, T, S); // [T*S]
  const stats: EpisodeStats = { [imageKey(spec.camera)]: prepared.imageStats, ...columnStats({ ...prepared, state }, spec, episodeIndex, startIndex) };
  const frames = Array.from({ length: T }, (_, t) => t);
  const vectors = (flat: Float32Array, dim: number) => frames.map((t) => Array.from(flat.subarray(t * dim, (t + 1) * dim)));
  const int64 = (f: (t: number) => number) => frames.map((t) => BigInt(f(t)));
  const columnData = [
    // PNGs are already compressed and all distinct: no codec, no dictionary, no min/max.
    { name: imageKey(spec.camera), data: prepared.pngs.map((bytes) => ({ bytes, path: null })), codec: 'UNCOMPRESSED' as const, encoding: 'PLAIN' as const, statistics: false },
    { name: 'observation.state', data: vectors(state, S) },
    { name: 'action', data: vectors(prepared.action, ACTION_DIM) },
    { name: 'timestamp', data: frames.map((t) => Math.fround(t / spec.fps)) },
    { name: 'frame_index', data: int64((t) => t) },
    { name: 'episode_index', data: int64(() => episodeIndex) },
    { name: 'index', data: int64((t) => startIndex + t) },
    { name: 'task_index', data: int64(() => 0) },
    { name: 'next.reward', data: Array.from(prepared.reward) },
    { name: 'next.done', data: Array.from(prepared.done, (v) => v === 1) },
    { name: 'next.success', data: Array.from(prepared.success, (v) => v === 1) },
  ];
  const features = datasetFeatures(spec);
  const buffer = parquetWriteBuffer({
    columnData,
    schema: parquetSchema(spec),
    rowGroupSize: T,
    createdBy: 'pincer',
    kvMetadata: [
      { key: 'huggingface', value: huggingfaceMetadata(spec) },
      { key: PINCER_KEY, value: JSON.stringify({ entry, stats: statsToJson(stats, features) }) },
    ],
  });
  return { bytes: new Uint8Array(buffer), entry, stats };
}

/** The footer of an episode file: row count, its own entry and stats. Reads no column data. */
export interface EpisodeFooter {
  rows: number;
  entry: EpisodeEntry;
  stats: EpisodeStats;
  metadata: FileMetaData;
}

export function readEpisodeFooter(bytes: Uint8Array, where: string): EpisodeFooter {
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  } catch (err) {
    throw new DatasetError(`${where}: not a readable parquet file (${(err as Error).message})`);
  }
  const kv = metadata.key_value_metadata?.find((e) => e.key === PINCER_KEY)?.value;
  if (!kv) throw new DatasetError(`${where}: parquet metadata has no '${PINCER_KEY}' entry (not written by pincer)`);
  try {
    const parsed = JSON.parse(kv) as { entry: EpisodeEntry; stats: unknown };
    return { rows: Number(metadata.num_rows), entry: parsed.entry, stats: statsFromJson(parsed.stats), metadata };
  } catch (err) {
    throw new DatasetError(`${where}: malformed '${PINCER_KEY}' metadata (${(err as Error).message})`);
  }
}

/** One episode file's columns, images still PNG. */
export interface EpisodeRows extends EpisodeColumns {
  pngs: Uint8Array[];
  timestamp: Float32Array;
  frameIndex: number[];
  episodeIndex: number[];
  index: number[];
  taskIndex: number[];
}

/** Decode every column of an episode file; throws DatasetError naming `where` on any structural problem. */
export async function readEpisodeRows(bytes: Uint8Array, spec: DatasetSpec, where: string): Promise<EpisodeRows> {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({ file: buffer, utf8: false });
  } catch (err) {
    throw new DatasetError(`${where}: cannot read parquet data (${(err as Error).message})`);
  }
  const key = imageKey(spec.camera);
  const T = rows.length;
  const S = spec.stateNames.length;
  const out: EpisodeRows = {
    pngs: [],
    state: new Float32Array(T * S),
    action: new Float32Array(T * ACTION_DIM),
    reward: new Float32Array(T),
    done: new Uint8Array(T),
    success: new Uint8Array(T),
    timestamp: new Float32Array(T),
    frameIndex: [],
    episodeIndex: [],
    index: [],
    taskIndex: [],
  };
  const vector = (row: Record<string, unknown>, name: string, dim: number, t: number): number[] => {
    const v = row[name];
    if (!Array.isArray(v) || v.length !== dim || !v.every((x) => typeof x === 'number')) {
      throw new DatasetError(`${where}: frame ${t}: '${name}' is not a list of ${dim} floats`);
    }
    return v as number[];
  };
  const scalar = <T>(row: Record<string, unknown>, name: string, type: string, t: number): T => {
    const v = row[name];
    if (typeof v !== type) throw new DatasetError(`${where}: frame ${t}: '${name}' is not ${type}`);
    return v as T;
  };
  rows.forEach((row, t) => {
    const image = row[key] as { bytes?: unknown } | undefined;
    if (!image || !(image.bytes instanceof Uint8Array)) throw new DatasetError(`${where}: frame ${t}: no '${key}' image bytes`);
    out.pngs.push(image.bytes);
    out.state.set(vector(row, 'observation.state', S, t), t * S);
    out.action.set(vector(row, 'action', ACTION_DIM, t), t * ACTION_DIM);
    out.timestamp[t] = scalar<number>(row, 'timestamp', 'number', t);
    out.frameIndex.push(Number(scalar<bigint>(row, 'frame_index', 'bigint', t)));
    out.episodeIndex.push(Number(scalar<bigint>(row, 'episode_index', 'bigint', t)));
    out.index.push(Number(scalar<bigint>(row, 'index', 'bigint', t)));
    out.taskIndex.push(Number(scalar<bigint>(row, 'task_index', 'bigint', t)));
    out.reward[t] = scalar<number>(row, 'next.reward', 'number', t);
    out.done[t] = scalar<boolean>(row, 'next.done', 'boolean', t) ? 1 : 0;
    out.success[t] = scalar<boolean>(row, 'next.success', 'boolean', t) ? 1 : 0;
  });
  return out;
}
