/**
 * What `pincer dataset info` and `dataset sample` show: counts and rates from
 * the metadata alone (no episode file is opened), and a contact sheet of one
 * episode's frames.
 */
import sharp from 'sharp';
import { DatasetReader } from './reader.js';
import { sizeOnDisk } from './store.js';

export interface DatasetSummary {
  dir: string;
  episodes: number;
  frames: number;
  successes: number;
  success_rate: number;
  ground_truth_success_rate: number;
  /** Episodes whose detected success disagrees with simulator ground truth. */
  detector_disagreements: number;
  mean_episode_length: number;
  image: { camera: string; width: number; height: number };
  fps: number;
  /** Episodes per object split (train / test / external). */
  object_split: Record<string, number>;
  /** Distinct objects seen. */
  distinct_objects: number;
  /** Episodes per acting policy (a mixture's components are counted separately). */
  policies: Record<string, number>;
  size_bytes: number;
  bytes_per_1000_frames: number;
  /** Metadata was behind the episode files and was rebuilt on open. */
  rebuilt: boolean;
}

export function summarizeDataset(dir: string): DatasetSummary {
  const reader = DatasetReader.open(dir);
  const entries = reader.entries;
  const count = (key: (e: (typeof entries)[number]) => string) => {
    const out: Record<string, number> = {};
    for (const e of entries) out[key(e)] = (out[key(e)] ?? 0) + 1;
    return out;
  };
  const n = entries.length;
  const successes = entries.filter((e) => e.success).length;
  const size = sizeOnDisk(dir);
  return {
    dir,
    episodes: n,
    frames: reader.totalFrames,
    successes,
    success_rate: n ? successes / n : 0,
    ground_truth_success_rate: n ? entries.filter((e) => e.ground_truth_success).length / n : 0,
    detector_disagreements: entries.filter((e) => e.success !== e.ground_truth_success).length,
    mean_episode_length: n ? reader.totalFrames / n : 0,
    image: { camera: reader.spec.camera, width: reader.spec.imageWidth, height: reader.spec.imageHeight },
    fps: reader.spec.fps,
    object_split: count((e) => e.split),
    distinct_objects: new Set(entries.flatMap((e) => e.object_ids)).size,
    policies: count((e) => e.policy),
    size_bytes: size,
    bytes_per_1000_frames: reader.totalFrames ? Math.round((size / reader.totalFrames) * 1000) : 0,
    rebuilt: reader.rebuilt,
  };
}

/** Frames laid out left to right, top to bottom, `columns` per row, with a `gap` px dark border. [PNG] */
export async function contactSheet(frames: Uint8Array[], width: number, height: number, columns: number, gap = 2): Promise<Uint8Array> {
  const cols = Math.min(columns, frames.length);
  const rows = Math.ceil(frames.length / cols);
  const sheet = sharp({
    create: { width: cols * (width + gap) + gap, height: rows * (height + gap) + gap, channels: 3, background: { r: 24, g: 24, b: 24 } },
  });
  const composites = frames.map((pixels, i) => ({
    input: Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength),
    raw: { width, height, channels: 3 as const },
    left: gap + (i % cols) * (width + gap),
    top: gap + Math.floor(i / cols) * (height + gap),
  }));
  const png = await sheet.composite(composites).png().toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
