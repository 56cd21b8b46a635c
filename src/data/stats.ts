/**
 * Feature statistics as LeRobot v2.1 stores them: min, max, mean, std
 * (population) and count per feature, per episode (`episodes_stats.jsonl`)
 * and over the dataset (`stats.json`). Image statistics are per channel on
 * values scaled to [0, 1] and shaped [C, 1, 1] in JSON, as LeRobot's
 * `compute_episode_stats` keeps them.
 *
 * The dataset aggregate is a left fold of episode stats in index order
 * (Chan et al.'s pairwise variance update), so a resumed collection and an
 * uninterrupted one produce the same numbers bit for bit.
 */
import type { FeatureInfo } from './features.js';

export interface FeatureStats {
  /** Per dimension (per channel for images). [D] */
  min: number[];
  max: number[];
  mean: number[];
  /** Population standard deviation. [D] */
  std: number[];
  /** Number of frames. */
  count: number;
}

export type EpisodeStats = Record<string, FeatureStats>;

/** One pass of sums over a feature's values; float64 sums keep 1e5 pixels per channel exact enough. */
export class StatsAccumulator {
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;
  private readonly sum: Float64Array;
  private readonly sumSq: Float64Array;
  private frames = 0;

  constructor(readonly dim: number) {
    this.lo = new Float64Array(dim).fill(Infinity);
    this.hi = new Float64Array(dim).fill(-Infinity);
    this.sum = new Float64Array(dim);
    this.sumSq = new Float64Array(dim);
  }

  /** One frame of a vector feature. [D] */
  addFrame(values: ArrayLike<number>): void {
    for (let d = 0; d < this.dim; d++) this.addValue(d, values[d]);
    this.frames++;
  }

  /** One interleaved image frame (HWC uint8), each value scaled by 1/255. [H*W*C] */
  addImage(pixels: Uint8Array): void {
    const c = this.dim;
    const lo = this.lo;
    const hi = this.hi;
    const sum = this.sum;
    const sumSq = this.sumSq;
    for (let i = 0; i < pixels.length; i += c) {
      for (let d = 0; d < c; d++) {
        const v = pixels[i + d];
        if (v < lo[d]) lo[d] = v;
        if (v > hi[d]) hi[d] = v;
        sum[d] += v;
        sumSq[d] += v * v;
      }
    }
    this.frames++;
  }

  private addValue(d: number, v: number): void {
    if (v < this.lo[d]) this.lo[d] = v;
    if (v > this.hi[d]) this.hi[d] = v;
    this.sum[d] += v;
    this.sumSq[d] += v * v;
  }

  /** Stats over everything added; `scale` maps raw values (255 for uint8 images). `samplesPerFrame` is H*W for images. */
  finish(scale = 1, samplesPerFrame = 1): FeatureStats {
    const n = this.frames * samplesPerFrame;
    const stats: FeatureStats = { min: [], max: [], mean: [], std: [], count: this.frames };
    for (let d = 0; d < this.dim; d++) {
      const mean = this.sum[d] / n;
      const variance = Math.max(0, this.sumSq[d] / n - mean * mean);
      stats.min.push(this.lo[d] / scale);
      stats.max.push(this.hi[d] / scale);
      stats.mean.push(mean / scale);
      stats.std.push(Math.sqrt(variance) / scale);
    }
    return stats;
  }
}

/** Stats of two disjoint frame sets combined (Chan, Golub & LeVeque 1979). */
export function mergeStats(a: FeatureStats, b: FeatureStats): FeatureStats {
  const n = a.count + b.count;
  const out: FeatureStats = { min: [], max: [], mean: [], std: [], count: n };
  for (let d = 0; d < a.mean.length; d++) {
    const delta = b.mean[d] - a.mean[d];
    const mean = a.mean[d] + (delta * b.count) / n;
    // M2 = n·σ²; M2_ab = M2_a + M2_b + δ²·n_a·n_b / n
    const m2 = a.std[d] ** 2 * a.count + b.std[d] ** 2 * b.count + (delta * delta * a.count * b.count) / n;
    out.min.push(Math.min(a.min[d], b.min[d]));
    out.max.push(Math.max(a.max[d], b.max[d]));
    out.mean.push(mean);
    out.std.push(Math.sqrt(m2 / n));
  }
  return out;
}

/** Fold one episode's stats into the running dataset aggregate (null before the first episode). */
export function foldStats(total: EpisodeStats | null, episode: EpisodeStats): EpisodeStats {
  if (total === null) return episode;
  const out: EpisodeStats = {};
  for (const key of Object.keys(episode)) out[key] = total[key] ? mergeStats(total[key], episode[key]) : episode[key];
  return out;
}

type StatsJson = Record<string, { min: unknown; max: unknown; mean: unknown; std: unknown; count: number[] }>;

/** LeRobot's JSON shape: images [C][1][1], everything else [D], count [1]. */
export function statsToJson(stats: EpisodeStats, features: Record<string, FeatureInfo>): StatsJson {
  const out: StatsJson = {};
  for (const [key, s] of Object.entries(stats)) {
    const shape = features[key]?.dtype === 'image' ? (v: number[]) => v.map((x) => [[x]]) : (v: number[]) => v;
    out[key] = { min: shape(s.min), max: shape(s.max), mean: shape(s.mean), std: shape(s.std), count: [s.count] };
  }
  return out;
}

/** Inverse of statsToJson; throws on a malformed entry. */
export function statsFromJson(json: unknown): EpisodeStats {
  if (typeof json !== 'object' || json === null) throw new Error('stats must be an object');
  const out: EpisodeStats = {};
  for (const [key, raw] of Object.entries(json as Record<string, Record<string, unknown>>)) {
    const flat = (name: string): number[] => {
      const v = raw?.[name];
      if (!Array.isArray(v)) throw new Error(`stats.${key}.${name} must be an array`);
      const values = v.flat(2) as unknown[];
      if (!values.every((x) => typeof x === 'number')) throw new Error(`stats.${key}.${name} must hold numbers`);
      return values as number[];
    };
    const count = flat('count');
    if (count.length !== 1) throw new Error(`stats.${key}.count must be [n]`);
    out[key] = { min: flat('min'), max: flat('max'), mean: flat('mean'), std: flat('std'), count: count[0] };
  }
  return out;
}
