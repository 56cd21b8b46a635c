/**
 * Checkpoints: one folder per saved network, in tfjs's own weights format, so a
 * browser reads it with tfjs alone (no pincer code, no tf.loadLayersModel).
 *
 *   <dir>/model.json       {format: 'pincer-qnet', formatVersion: 1, generatedBy,
 *                           network: QNetConfig, weightsSha256,
 *                           weightsManifest: [{paths: ['weights.bin'],
 *                                              weights: [{name: 'conv0/kernel', shape, dtype: 'float32'}, …]}]}
 *   <dir>/weights.bin      the weights, float32 little-endian, concatenated in manifest order
 *   <dir>/checkpoint.json  {step, envSteps, validationSuccess, libraryVersion, configHash}
 *
 * `weightsManifest` is tfjs's layout (tf.io.WeightsManifestConfig), so in a page:
 *
 *   const model = await (await fetch(`${url}/model.json`)).json();
 *   const weights = await tf.io.loadWeights(model.weightsManifest, url);   // {name: Tensor}
 *   // or: tf.io.decodeWeights(await (await fetch(`${url}/weights.bin`)).arrayBuffer(), model.weightsManifest[0].weights)
 *
 * and `decodeCheckpoint(model, bytes)` here does the same from bytes (no fs), for
 * the viewer. Weight names are QNetwork.namedVariables' (`conv0/kernel`, …), never
 * tfjs's process-unique variable names.
 *
 * Saving is atomic: the three files go to `<dir>.tmp-<pid>-<n>/`, each fsynced,
 * then the folder is renamed into place and its parent fsynced. Overwriting moves
 * the old folder aside first (`<dir>.old-<pid>-<n>`, removed after): a crash
 * between the two renames leaves the old checkpoint intact under that name.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describeIssues } from '../rl/index.js';
import type { QNetConfig, QNetwork } from '../tf/index.js';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_FORMAT_VERSION,
  CheckpointError,
  decodeCheckpoint,
  META_FILE,
  MetaSchema,
  MODEL_FILE,
  ModelSchema,
  WEIGHTS_FILE,
  type CheckpointMeta,
  type CheckpointModel,
} from './checkpoint-format.js';
import { canonicalJson, configDifferences, NetworkSchema } from './config.js';

/** sha256 of a config's canonical JSON, first 16 hex digits (checkpoint.json's configHash). */
export function configHash(config: unknown): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex').slice(0, 16);
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** model.json and weights.bin for a network, in memory. */
export async function encodeCheckpoint(net: QNetwork, generatedBy: string): Promise<{ model: CheckpointModel; weights: Uint8Array }> {
  const named = net.namedVariables().map(({ name, variable }) => ({ name, tensor: variable as tf.Tensor }));
  const { data, specs } = await tf.io.encodeWeights(named);
  const weights = new Uint8Array(data);
  const model: CheckpointModel = {
    format: CHECKPOINT_FORMAT,
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    generatedBy,
    network: NetworkSchema.parse(net.config),
    weightsSha256: sha256(weights),
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: specs.map((s) => ({ name: s.name, shape: [...s.shape], dtype: 'float32' as const })) }],
  };
  return { model, weights };
}

function writeSynced(path: string, data: Uint8Array | string): void {
  const fd = openSync(path, 'w');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fsyncDir(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

let saveCounter = 0;

/** Save `net` and `meta` as the folder `dir`, atomically (see the file comment); replaces an existing `dir`. */
export async function saveCheckpoint(dir: string, net: QNetwork, meta: CheckpointMeta, generatedBy = 'pincer'): Promise<void> {
  const checked = MetaSchema.safeParse(meta);
  if (!checked.success) throw new CheckpointError(`${dir}/${META_FILE}: ${describeIssues(checked.error)}`);
  const { model, weights } = await encodeCheckpoint(net, generatedBy);
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const tag = `${process.pid}-${saveCounter++}`;
  const tmp = join(parent, `${basename(dir)}.tmp-${tag}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    writeSynced(join(tmp, WEIGHTS_FILE), weights);
    writeSynced(join(tmp, MODEL_FILE), `${JSON.stringify(model, null, 1)}\n`);
    writeSynced(join(tmp, META_FILE), `${JSON.stringify(checked.data, null, 2)}\n`);
    fsyncDir(tmp);
    if (existsSync(dir)) {
      const old = join(parent, `${basename(dir)}.old-${tag}`);
      renameSync(dir, old);
      renameSync(tmp, dir);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, dir);
    }
    fsyncDir(parent);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new CheckpointError(`${path}: missing`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CheckpointError(`${path}: not valid JSON`);
  }
}

/** The network config a checkpoint holds, without loading its weights (for mismatch checks before a run starts). */
export function readCheckpointNetwork(dir: string): QNetConfig {
  if (!existsSync(dir)) throw new CheckpointError(`${dir}: no such checkpoint folder`);
  const parsed = ModelSchema.safeParse(readJson(join(dir, MODEL_FILE)));
  if (!parsed.success) throw new CheckpointError(`${join(dir, MODEL_FILE)}: not a pincer checkpoint (${describeIssues(parsed.error)})`);
  return parsed.data.network as QNetConfig;
}

/**
 * Load a checkpoint folder. With `expectedNetwork`, a different network config is
 * a CheckpointError naming the differing fields. Every missing or corrupt file is
 * a one-line CheckpointError naming it.
 */
export function loadCheckpoint(dir: string, expectedNetwork?: QNetConfig): { net: QNetwork; meta: CheckpointMeta } {
  const network = readCheckpointNetwork(dir);
  if (expectedNetwork) {
    const differing = configDifferences(NetworkSchema.parse(expectedNetwork), network);
    if (differing.length > 0) throw new CheckpointError(`${dir}: network config differs from the expected one in ${differing.join(', ')}`);
  }
  const metaPath = join(dir, META_FILE);
  const meta = MetaSchema.safeParse(readJson(metaPath));
  if (!meta.success) throw new CheckpointError(`${metaPath}: ${describeIssues(meta.error)}`);
  const weightsPath = join(dir, WEIGHTS_FILE);
  if (!existsSync(weightsPath)) throw new CheckpointError(`${weightsPath}: missing`);
  const net = decodeCheckpoint(readJson(join(dir, MODEL_FILE)), readFileSync(weightsPath), dir, sha256);
  return { net, meta: meta.data };
}
