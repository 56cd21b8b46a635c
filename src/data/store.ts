/**
 * File I/O under a dataset directory: the writer lock, the pincer.json header, episode-file discovery, footers, and rebuilding the
 * `meta/` files from the episode files.
 *
 * Crash safety rests on one ordering: an episode file is written whole to a
 * temp name and renamed into place first; its metadata lines are appended
 * after, and info.json/stats.json replaced atomically after those (by the
 * writer, every few episodes and on close). So a killed writer leaves
 * metadata equal to or behind the episode files, never ahead, and `reconcile`
 * brings it level from the footers, which carry each episode's own entry and
 * stats. A reader of a dataset being written sees the episodes info.json
 * lists, whose lines and files are already in place.
 */
import {
  appendFileSync,
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { STATE_DIM, STATE_NAMES } from '../env/index.js';
import { TEMP_INFIX, lockHolder, tryLockFile, writeFileAtomic } from '../fsutil/index.js';
import { DatasetError } from './errors.js';
import { readEpisodeFooter, type EpisodeEntry, type EpisodeFooter } from './episode.js';
import { datasetFeatures, type DatasetSpec } from './features.js';
import {
  CODEBASE_VERSION,
  EPISODES_PATH,
  EPISODES_STATS_PATH,
  INFO_PATH,
  LOCK_PATH,
  PINCER_PATH,
  STATS_PATH,
  TASKS_PATH,
  buildInfo,
  episodeIndexOf,
  episodePath,
  tasksJsonl,
  type DatasetInfo,
} from './layout.js';
import { foldStats, statsToJson, type EpisodeStats } from './stats.js';

/** pincer.json: the spec every episode shares, and the collection settings resume must match. */
export interface DatasetHeader {
  format: 1;
  spec: DatasetSpec;
  /** Free-form description of how episodes were produced (collect flags, scene); compared on resume. */
  source: Record<string, unknown>;
}

export function isDataset(dir: string): boolean {
  return existsSync(join(dir, INFO_PATH)) && existsSync(join(dir, PINCER_PATH));
}

function readJson(dir: string, rel: string): unknown {
  const path = join(dir, rel);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DatasetError(code === 'ENOENT' ? `${path} is missing` : `cannot read ${path}: ${code ?? err}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DatasetError(`${path}: malformed JSON (${(err as Error).message})`);
  }
}

export function readHeader(dir: string): DatasetHeader {
  if (!existsSync(join(dir, INFO_PATH))) throw new DatasetError(`${dir} is not a pincer dataset (no ${INFO_PATH})`, true);
  const header = readJson(dir, PINCER_PATH) as DatasetHeader;
  if (header?.format !== 1 || typeof header.spec?.camera !== 'string') throw new DatasetError(`${join(dir, PINCER_PATH)}: unknown format`);
  const stateNames = header.spec.stateNames ?? readInfo(dir).features?.['observation.state']?.names;
  if (!isStateLayout(stateNames)) {
    throw new DatasetError(`${dir}: observation.state is ${JSON.stringify(stateNames)}, not a 3- or ${STATE_DIM}-value start of [${STATE_NAMES.join(', ')}]`);
  }
  return { ...header, spec: { ...header.spec, stateNames } };
}

/** The state layouts pincer has written: STATE_NAMES, and before x, y and yaw were recorded its first 3. */
function isStateLayout(names: unknown): names is string[] {
  return Array.isArray(names) && (names.length === 3 || names.length === STATE_DIM) && names.every((name, i) => name === STATE_NAMES[i]);
}

export function readInfo(dir: string): DatasetInfo {
  const info = readJson(dir, INFO_PATH) as DatasetInfo;
  if (info?.codebase_version !== CODEBASE_VERSION) {
    throw new DatasetError(`${join(dir, INFO_PATH)}: codebase_version is ${JSON.stringify(info?.codebase_version)}, expected "${CODEBASE_VERSION}"`);
  }
  return info;
}

/** Non-empty lines of a jsonl file, parsed; a malformed line is an error naming the file and line. */
export function readJsonl<T>(dir: string, rel: string): T[] {
  const path = join(dir, rel);
  if (!existsSync(path)) return [];
  const out: T[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        out.push(JSON.parse(line) as T);
      } catch {
        throw new DatasetError(`${path}: line ${i + 1} is not valid JSON`);
      }
    });
  return out;
}

/** Episode indices that have a data file, ascending; temp files are not episodes. */
export function listEpisodeFiles(dir: string): number[] {
  const data = join(dir, 'data');
  if (!existsSync(data)) return [];
  const out: number[] = [];
  for (const chunk of readdirSync(data)) {
    if (!/^chunk-\d{3,}$/.test(chunk)) continue;
    for (const name of readdirSync(join(data, chunk))) {
      const index = episodeIndexOf(name);
      if (index !== null) out.push(index);
    }
  }
  return out.sort((a, b) => a - b);
}

/** Remove temp files left by an interrupted writer. */
export function sweepTempFiles(dir: string): number {
  let removed = 0;
  const sweep = (folder: string) => {
    if (!existsSync(folder)) return;
    for (const name of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, name.name);
      if (name.isDirectory()) sweep(path);
      else if (name.name.includes(TEMP_INFIX)) {
        rmSync(path);
        removed++;
      }
    }
  };
  sweep(join(dir, 'data'));
  sweep(join(dir, 'meta'));
  return removed;
}

/** Read only the footer of an episode file (the last 8 bytes give its length), not the frames. */
export function readFooterFromFile(dir: string, index: number): EpisodeFooter {
  const rel = episodePath(index);
  const path = join(dir, rel);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    throw new DatasetError(`${rel} is missing`);
  }
  try {
    const size = fstatSync(fd).size;
    if (size < 12) throw new DatasetError(`${rel}: truncated (${size} bytes)`);
    const tail = Buffer.alloc(8);
    readSync(fd, tail, 0, 8, size - 8);
    const footerLength = tail.readUInt32LE(0);
    if (tail.toString('latin1', 4) !== 'PAR1' || footerLength + 12 > size) throw new DatasetError(`${rel}: truncated or not a parquet file`);
    const footer = Buffer.alloc(footerLength + 8);
    readSync(fd, footer, 0, footer.length, size - footer.length);
    return readEpisodeFooter(new Uint8Array(footer.buffer, footer.byteOffset, footer.length), rel);
  } finally {
    closeSync(fd);
  }
}

/** The running totals a writer keeps, and what reconcile rebuilds. */
export interface Totals {
  episodes: number;
  frames: number;
  successes: number;
  /** Fold of episode stats in index order (null with no episodes). */
  stats: EpisodeStats | null;
}

/** Append one episode's metadata lines; the writer replaces info.json and stats.json after them (see the file comment). */
export function appendEpisodeMeta(dir: string, spec: DatasetSpec, entry: EpisodeEntry, stats: EpisodeStats, totals: Totals): Totals {
  const features = datasetFeatures(spec);
  appendFileSync(join(dir, EPISODES_PATH), `${JSON.stringify(entry)}\n`);
  appendFileSync(join(dir, EPISODES_STATS_PATH), `${JSON.stringify({ episode_index: entry.episode_index, stats: statsToJson(stats, features) })}\n`);
  return {
    episodes: totals.episodes + 1,
    frames: totals.frames + entry.length,
    successes: totals.successes + (entry.success ? 1 : 0),
    stats: foldStats(totals.stats, stats),
  };
}

/** Replace stats.json and info.json with the totals of the episodes written so far. */
export function writeSummaryMeta(dir: string, spec: DatasetSpec, totals: Totals): void {
  writeFileAtomic(join(dir, STATS_PATH), `${JSON.stringify(totals.stats ? statsToJson(totals.stats, datasetFeatures(spec)) : {}, null, 2)}\n`);
  writeFileAtomic(join(dir, INFO_PATH), `${JSON.stringify(buildInfo(spec, totals.episodes, totals.frames), null, 2)}\n`);
}

/** Lay out an empty dataset: meta files with zero episodes. */
export function initDataset(dir: string, header: DatasetHeader): void {
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileAtomic(join(dir, PINCER_PATH), `${JSON.stringify(header, null, 2)}\n`);
  writeFileAtomic(join(dir, TASKS_PATH), tasksJsonl(header.spec));
  writeFileAtomic(join(dir, EPISODES_PATH), '');
  writeFileAtomic(join(dir, EPISODES_STATS_PATH), '');
  writeSummaryMeta(dir, header.spec, { episodes: 0, frames: 0, successes: 0, stats: null });
}

export interface ReconcileResult {
  /** Episodes in the dataset after reconciling. */
  episodes: number;
  /** Metadata was behind the episode files and was rewritten from their footers. */
  rebuilt: boolean;
  /** Episodes the metadata listed before. */
  previousEpisodes: number;
}

/**
 * Make meta/ agree with the episode files. Metadata behind the files (a writer
 * killed between the rename and its metadata writes) is rebuilt from the
 * footers; episode files missing from a prefix, or metadata listing episodes
 * that have no file, are errors naming the file.
 */
export function reconcile(dir: string, header: DatasetHeader): ReconcileResult {
  const files = listEpisodeFiles(dir);
  files.forEach((index, i) => {
    if (index !== i) throw new DatasetError(`${episodePath(i)} is missing (episode files must be numbered 0..${files.length - 1} without gaps)`);
  });
  const info = readInfo(dir);
  const entries = readJsonlTolerant<EpisodeEntry>(dir, EPISODES_PATH);
  const statLines = readJsonlTolerant<unknown>(dir, EPISODES_STATS_PATH);
  const n = info.total_episodes;
  if (n > files.length) throw new DatasetError(`${episodePath(files.length)} is missing (meta/info.json lists ${n} episodes)`);
  const consistent = entries !== null && statLines !== null && entries.length === n && statLines.length === n && n === files.length;
  if (!consistent) rebuildMeta(dir, header, files.length);
  return { episodes: files.length, rebuilt: !consistent, previousEpisodes: n };
}

/** Lines of a jsonl file, or null when one is cut short (a torn append) or malformed. */
function readJsonlTolerant<T>(dir: string, rel: string): T[] | null {
  try {
    return readJsonl<T>(dir, rel);
  } catch {
    return null;
  }
}

/** Totals of the first `count` episodes, folded from their footers in index order (as the writer folds them). */
export function totalsFromFooters(dir: string, count: number): Totals {
  let totals: Totals = { episodes: 0, frames: 0, successes: 0, stats: null };
  for (let i = 0; i < count; i++) {
    const footer = readFooterFromFile(dir, i);
    totals = {
      episodes: totals.episodes + 1,
      frames: totals.frames + footer.entry.length,
      successes: totals.successes + (footer.entry.success ? 1 : 0),
      stats: foldStats(totals.stats, footer.stats),
    };
  }
  return totals;
}

function rebuildMeta(dir: string, header: DatasetHeader, count: number): void {
  const features = datasetFeatures(header.spec);
  const entries: string[] = [];
  const stats: string[] = [];
  let totals: Totals = { episodes: 0, frames: 0, successes: 0, stats: null };
  for (let i = 0; i < count; i++) {
    const footer = readFooterFromFile(dir, i);
    if (footer.entry.episode_index !== i) throw new DatasetError(`${episodePath(i)}: holds episode ${footer.entry.episode_index}`);
    entries.push(`${JSON.stringify(footer.entry)}\n`);
    stats.push(`${JSON.stringify({ episode_index: i, stats: statsToJson(footer.stats, features) })}\n`);
    totals = {
      episodes: i + 1,
      frames: totals.frames + footer.entry.length,
      successes: totals.successes + (footer.entry.success ? 1 : 0),
      stats: foldStats(totals.stats, footer.stats),
    };
  }
  writeFileAtomic(join(dir, EPISODES_PATH), entries.join(''));
  writeFileAtomic(join(dir, EPISODES_STATS_PATH), stats.join(''));
  writeFileAtomic(join(dir, TASKS_PATH), tasksJsonl(header.spec));
  writeSummaryMeta(dir, header.spec, totals);
}

/**
 * Take the writer lock, atomically (see fsutil's lock): refused while a live
 * process holds it, this one included; a killed writer's stale lock is taken over.
 */
export function acquireLock(dir: string): () => void {
  const lock = tryLockFile(join(dir, LOCK_PATH));
  if (!lock.acquired) {
    const who = lock.holder === process.pid ? 'another writer in this process' : `process ${lock.holder}`;
    throw new DatasetError(`${dir} is being written by ${who} (${LOCK_PATH})`, true);
  }
  return lock.release;
}

/** Whether a live process other than this one is writing the dataset. */
export function isLockedByOther(dir: string): boolean {
  const holder = lockHolder(join(dir, LOCK_PATH));
  return holder !== null && holder !== process.pid;
}

/** Bytes under the dataset directory. */
export function sizeOnDisk(dir: string): number {
  let total = 0;
  const walk = (folder: string) => {
    for (const e of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, e.name);
      if (e.isDirectory()) walk(path);
      else total += statSync(path).size;
    }
  };
  walk(dir);
  return total;
}
