/**
 * Full check of a dataset against the layout pincer writes: info.json,
 * tasks, episodes and their stats, every episode file's schema, indices and
 * images, and the aggregate stats. Every problem is reported by file name;
 * validation goes on past a bad episode so one run lists them all.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetError } from './errors.js';
import { columnStats, decodePng, readEpisodeFooter, readEpisodeRows, type EpisodeEntry } from './episode.js';
import { datasetFeatures, huggingfaceMetadata, imageKey, parquetSchema, type DatasetSpec } from './features.js';
import { EPISODES_PATH, EPISODES_STATS_PATH, STATS_PATH, TASKS_PATH, buildInfo, episodePath, tasksJsonl } from './layout.js';
import { StatsAccumulator, foldStats, statsFromJson, type EpisodeStats } from './stats.js';
import { isLockedByOther, readHeader, readInfo, readJsonl, reconcile } from './store.js';

export interface ValidationReport {
  ok: boolean;
  episodes: number;
  frames: number;
  /** Metadata was behind the episode files (an interrupted writer) and was rebuilt first. */
  rebuilt: boolean;
  /** One line per problem, each naming its file. */
  errors: string[];
}

/** Stop listing after this many problems; the rest are usually the same cause. */
const MAX_ERRORS = 50;
/** Relative tolerance for recomputed stats (float32 columns, float64 sums). */
const STATS_RTOL = 1e-6;

export async function validateDataset(dir: string): Promise<ValidationReport> {
  const errors: string[] = [];
  const report = (e: string) => {
    if (errors.length < MAX_ERRORS) errors.push(e);
  };
  let header;
  let rebuilt = false;
  let live = false;
  try {
    header = readHeader(dir);
    live = isLockedByOther(dir);
    if (!live) rebuilt = reconcile(dir, header).rebuilt;
  } catch (err) {
    if (err instanceof DatasetError) return { ok: false, episodes: 0, frames: 0, rebuilt, errors: [err.message] };
    throw err;
  }
  const spec = header.spec;
  const features = datasetFeatures(spec);
  const info = readInfo(dir);
  const n = info.total_episodes;
  // A live writer's lines run ahead of info.json (see store.ts); check the episodes info.json lists.
  const upTo = <T>(lines: T[]) => (live ? lines.slice(0, n) : lines);
  const entries = upTo(readJsonl<EpisodeEntry>(dir, EPISODES_PATH));
  const statLines = upTo(readJsonl<{ episode_index: number; stats: unknown }>(dir, EPISODES_STATS_PATH));

  const totalFrames = entries.reduce((sum, e) => sum + e.length, 0);
  const expectedInfo = buildInfo(spec, entries.length, totalFrames);
  for (const [key, value] of Object.entries(expectedInfo)) {
    const actual = (info as unknown as Record<string, unknown>)[key];
    if (JSON.stringify(actual) !== JSON.stringify(value)) report(`meta/info.json: ${key} is ${JSON.stringify(actual)}, expected ${JSON.stringify(value)}`);
  }
  if (readFileSync(join(dir, TASKS_PATH), 'utf8') !== tasksJsonl(spec)) report(`${TASKS_PATH}: expected one task line ${tasksJsonl(spec).trim()}`);
  if (entries.length !== n) report(`${EPISODES_PATH}: ${entries.length} lines, meta/info.json says ${n} episodes`);
  if (statLines.length !== n) report(`${EPISODES_STATS_PATH}: ${statLines.length} lines, meta/info.json says ${n} episodes`);

  const schemaJson = JSON.stringify(parquetSchema(spec).map(({ name, type, repetition_type, num_children }) => ({ name, type, repetition_type, num_children })));
  const hf = huggingfaceMetadata(spec);
  let folded: EpisodeStats | null = null;
  let start = 0;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    const rel = episodePath(i);
    try {
      if (entry.episode_index !== i) report(`${EPISODES_PATH}: line ${i + 1} has episode_index ${entry.episode_index}`);
      const stats = await validateEpisode(dir, spec, i, start, entry, schemaJson, hf, report);
      const stored = statLines[i] ? statsFromJson(statLines[i].stats) : null;
      if (!stored || statLines[i].episode_index !== i) report(`${EPISODES_STATS_PATH}: line ${i + 1} is not episode ${i}`);
      else compareStats(stored, stats, `${EPISODES_STATS_PATH} episode ${i}`, report);
      folded = foldStats(folded, stats);
    } catch (err) {
      if (!(err instanceof DatasetError)) throw err;
      report(err.message.startsWith(rel) ? err.message : `${rel}: ${err.message}`);
    }
    start += entry.length;
  }
  try {
    const stored = statsFromJson(JSON.parse(readFileSync(join(dir, STATS_PATH), 'utf8')));
    if (folded) compareStats(stored, folded, STATS_PATH, report);
    else if (Object.keys(stored).length > 0) report(`${STATS_PATH}: holds stats but the dataset has no episodes`);
  } catch (err) {
    report(`${STATS_PATH}: ${(err as Error).message}`);
  }
  const missingStats = folded ? Object.keys(features).filter((k) => !(k in folded!)) : [];
  if (missingStats.length > 0) report(`${STATS_PATH}: no stats for ${missingStats.join(', ')}`);
  return { ok: errors.length === 0, episodes: entries.length, frames: totalFrames, rebuilt, errors };
}

/** Check one episode file against its entry; returns the stats recomputed from its decoded contents. */
async function validateEpisode(
  dir: string,
  spec: DatasetSpec,
  i: number,
  start: number,
  entry: EpisodeEntry,
  schemaJson: string,
  hf: string,
  report: (e: string) => void,
): Promise<EpisodeStats> {
  const rel = episodePath(i);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(join(dir, rel));
  } catch {
    throw new DatasetError(`${rel} is missing`);
  }
  const footer = readEpisodeFooter(bytes, rel);
  const schema = JSON.stringify(footer.metadata.schema.map(({ name, type, repetition_type, num_children }) => ({ name, type, repetition_type, num_children })));
  if (schema !== schemaJson) throw new DatasetError(`${rel}: parquet schema differs from the dataset's features`);
  if (footer.metadata.key_value_metadata?.find((kv) => kv.key === 'huggingface')?.value !== hf) report(`${rel}: 'huggingface' metadata missing or different`);
  if (JSON.stringify(footer.entry) !== JSON.stringify(entry)) report(`${rel}: its embedded episode entry differs from ${EPISODES_PATH} line ${i + 1}`);
  const rows = await readEpisodeRows(bytes, spec, rel);
  const T = rows.reward.length;
  if (T !== entry.length) throw new DatasetError(`${rel}: ${T} frames, ${EPISODES_PATH} says ${entry.length}`);
  for (let t = 0; t < T; t++) {
    const bad: string[] = [];
    if (rows.frameIndex[t] !== t) bad.push(`frame_index ${rows.frameIndex[t]}`);
    if (rows.episodeIndex[t] !== i) bad.push(`episode_index ${rows.episodeIndex[t]}`);
    if (rows.index[t] !== start + t) bad.push(`index ${rows.index[t]} (expected ${start + t})`);
    if (rows.taskIndex[t] !== 0) bad.push(`task_index ${rows.taskIndex[t]}`);
    if (rows.timestamp[t] !== Math.fround(t / spec.fps)) bad.push(`timestamp ${rows.timestamp[t]}`);
    if ((rows.done[t] === 1) !== (t === T - 1)) bad.push(`next.done ${rows.done[t] === 1}`);
    if (bad.length) throw new DatasetError(`${rel}: frame ${t}: ${bad.join(', ')}`);
  }
  const images = new StatsAccumulator(3);
  for (let t = 0; t < T; t++) images.addImage(await decodePng(rows.pngs[t], spec.imageWidth, spec.imageHeight, `${rel} frame ${t}`));
  const stats = { [imageKey(spec.camera)]: images.finish(255, spec.imageWidth * spec.imageHeight), ...columnStats(rows, spec, i, start) };
  compareStats(footer.stats, stats, `${rel} embedded stats`, report);
  return stats;
}

function compareStats(stored: EpisodeStats, computed: EpisodeStats, where: string, report: (e: string) => void): void {
  for (const [key, c] of Object.entries(computed)) {
    const s = stored[key];
    if (!s) {
      report(`${where}: no stats for ${key}`);
      continue;
    }
    if (s.count !== c.count) report(`${where}: ${key}.count is ${s.count}, recomputed ${c.count}`);
    for (const field of ['min', 'max', 'mean', 'std'] as const) {
      const a = s[field];
      const b = c[field];
      const off = a.length !== b.length || a.some((v, d) => Math.abs(v - b[d]) > STATS_RTOL * Math.max(1, Math.abs(b[d])));
      if (off) report(`${where}: ${key}.${field} is ${JSON.stringify(a)}, recomputed ${JSON.stringify(b)}`);
    }
  }
}
