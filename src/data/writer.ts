/**
 * Appends episodes to a dataset, one parquet file each, in index order (the
 * global frame `index` column needs every earlier episode's length). Owns the
 * writer lock while open. See store.ts for the crash-safety ordering.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../fsutil/index.js';
import { DatasetError } from './errors.js';
import { encodeEpisode, type EpisodeEntry, type PreparedEpisode } from './episode.js';
import type { DatasetSpec } from './features.js';
import { episodePath } from './layout.js';
import {
  acquireLock,
  appendEpisodeMeta,
  initDataset,
  isDataset,
  readHeader,
  reconcile,
  sweepTempFiles,
  totalsFromFooters,
  writeSummaryMeta,
  type DatasetHeader,
  type Totals,
} from './store.js';

export interface WriterOpenInfo {
  /** Metadata was behind the episode files (an interrupted writer) and was rebuilt. */
  rebuilt: boolean;
  /** Temp files of an interrupted write that were removed. */
  sweptTempFiles: number;
}

/**
 * info.json and stats.json are replaced after every SUMMARY_EVERY-th episode
 * and on close, not after each: they are two of an episode's three atomic
 * writes. Counted in episodes, not time, so a dataset's files are the same
 * at every point whatever the machine's pace.
 */
export const SUMMARY_EVERY = 16;

/** User + system CPU time of a process.cpuUsage() delta, ms. */
export const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

export class DatasetWriter {
  private totals: Totals;
  private releaseLock: (() => void) | null;
  /** info.json and stats.json lag the episodes written. */
  private summaryBehind = false;

  private constructor(
    readonly dir: string,
    readonly header: DatasetHeader,
    totals: Totals,
    releaseLock: () => void,
    readonly opened: WriterOpenInfo,
  ) {
    this.totals = totals;
    this.releaseLock = releaseLock;
  }

  /** Start a new dataset in `dir`, which must not exist or be empty. */
  static create(dir: string, spec: DatasetSpec, source: Record<string, unknown>): DatasetWriter {
    if (existsSync(dir)) {
      if (isDataset(dir)) throw new DatasetError(`${dir} already holds a dataset (use --resume to continue it)`, true);
      if (readdirSync(dir).length > 0) throw new DatasetError(`${dir} exists and is not a pincer dataset; choose an empty or new directory`, true);
    }
    const header: DatasetHeader = { format: 1, spec, source };
    // Lock first, then look again: of two writers racing to create, the loser must not touch the files.
    const release = acquireLock(dir);
    try {
      if (isDataset(dir)) throw new DatasetError(`${dir} already holds a dataset (use --resume to continue it)`, true);
      initDataset(dir, header);
    } catch (err) {
      release();
      throw err;
    }
    return new DatasetWriter(dir, header, { episodes: 0, frames: 0, successes: 0, stats: null }, release, { rebuilt: false, sweptTempFiles: 0 });
  }

  /** Continue an existing dataset: sweep temp files, bring metadata level with the episode files. */
  static resume(dir: string): DatasetWriter {
    if (!existsSync(dir)) throw new DatasetError(`${dir} does not exist; nothing to resume`, true);
    if (!isDataset(dir)) throw new DatasetError(`${dir} is not a pincer dataset; nothing to resume`, true);
    const header = readHeader(dir);
    const release = acquireLock(dir);
    try {
      const swept = sweepTempFiles(dir);
      const { episodes, rebuilt } = reconcile(dir, header);
      return new DatasetWriter(dir, header, totalsFromFooters(dir, episodes), release, { rebuilt, sweptTempFiles: swept });
    } catch (err) {
      release();
      throw err;
    }
  }

  get spec(): DatasetSpec {
    return this.header.spec;
  }
  get totalEpisodes(): number {
    return this.totals.episodes;
  }
  get totalFrames(): number {
    return this.totals.frames;
  }
  get successes(): number {
    return this.totals.successes;
  }

  /** Write the next episode; returns its entry and the wall and CPU time spent (parquet layout + disk), ms. */
  append(prepared: PreparedEpisode): { entry: EpisodeEntry; ms: number; cpuMs: number } {
    if (!this.releaseLock) throw new DatasetError(`dataset writer for ${this.dir} is closed`);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const index = this.totals.episodes;
    const encoded = encodeEpisode(prepared, this.spec, index, this.totals.frames);
    writeFileAtomic(join(this.dir, episodePath(index)), encoded.bytes);
    this.totals = appendEpisodeMeta(this.dir, this.spec, encoded.entry, encoded.stats, this.totals);
    this.summaryBehind = this.totals.episodes % SUMMARY_EVERY !== 0;
    if (!this.summaryBehind) writeSummaryMeta(this.dir, this.spec, this.totals);
    return { entry: encoded.entry, ms: performance.now() - t0, cpuMs: cpuMs(process.cpuUsage(cpu0)) };
  }

  /** Bring info.json and stats.json level with the episodes written, then release the lock. */
  close(): void {
    if (!this.releaseLock) return;
    try {
      if (this.summaryBehind) writeSummaryMeta(this.dir, this.spec, this.totals);
      this.summaryBehind = false;
    } finally {
      this.releaseLock();
      this.releaseLock = null;
    }
  }
}
