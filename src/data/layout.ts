/**
 * Where things live in a LeRobot v2.1 dataset directory, and the info.json
 * document. Pure: paths and objects only.
 */
import { datasetFeatures, type DatasetSpec, type FeatureInfo } from './features.js';

export const CODEBASE_VERSION = 'v2.1';
/** Episodes per `data/chunk-NNN/` folder (LeRobot's DEFAULT_CHUNK_SIZE). */
export const CHUNKS_SIZE = 1000;
export const DATA_PATH = 'data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet';

export const INFO_PATH = 'meta/info.json';
export const EPISODES_PATH = 'meta/episodes.jsonl';
export const TASKS_PATH = 'meta/tasks.jsonl';
export const EPISODES_STATS_PATH = 'meta/episodes_stats.jsonl';
export const STATS_PATH = 'meta/stats.json';
/** pincer's own record of the dataset spec and how it was collected (resume checks it). */
export const PINCER_PATH = 'meta/pincer.json';
/** Held by the one process writing the dataset; holds its pid. */
export const LOCK_PATH = 'meta/writer.lock';

/** Relative path of episode `index`'s parquet file. */
export function episodePath(index: number): string {
  const chunk = Math.floor(index / CHUNKS_SIZE);
  return `data/chunk-${String(chunk).padStart(3, '0')}/episode_${String(index).padStart(6, '0')}.parquet`;
}

/** Episode index of a data file name (`episode_000042.parquet` -> 42), or null for anything else. */
export function episodeIndexOf(fileName: string): number | null {
  const m = /^episode_(\d{6,})\.parquet$/.exec(fileName);
  return m ? Number(m[1]) : null;
}

export interface DatasetInfo {
  codebase_version: string;
  robot_type: string;
  total_episodes: number;
  total_frames: number;
  total_tasks: number;
  total_videos: number;
  total_chunks: number;
  chunks_size: number;
  fps: number;
  splits: Record<string, string>;
  data_path: string;
  video_path: null;
  features: Record<string, FeatureInfo>;
  /** pincer's object library version (datasets written before it was recorded lack it). */
  library_version?: string;
}

export function buildInfo(spec: DatasetSpec, totalEpisodes: number, totalFrames: number): DatasetInfo {
  return {
    codebase_version: CODEBASE_VERSION,
    robot_type: spec.robotType,
    total_episodes: totalEpisodes,
    total_frames: totalFrames,
    total_tasks: 1,
    total_videos: 0,
    total_chunks: Math.ceil(totalEpisodes / CHUNKS_SIZE),
    chunks_size: CHUNKS_SIZE,
    fps: spec.fps,
    splits: { train: `0:${totalEpisodes}` },
    data_path: DATA_PATH,
    video_path: null,
    features: datasetFeatures(spec),
    ...(spec.libraryVersion === undefined ? {} : { library_version: spec.libraryVersion }),
  };
}

/** tasks.jsonl: pincer datasets have one task. */
export function tasksJsonl(spec: DatasetSpec): string {
  return `${JSON.stringify({ task_index: 0, task: spec.task })}\n`;
}
