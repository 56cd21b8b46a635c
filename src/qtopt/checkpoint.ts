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
 *   <dir>/learner.json     optional, for exact resumes: the target chain and Adam's moments
 *   <dir>/learner.bin      (QtOptLearner.stateTensors), in the same manifest layout
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
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { syncFolder, writeFileSynced } from '../fsutil/index.js';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describeIssues, hardUpdate } from '../rl/index.js';
import type { QNetConfig, QNetwork } from '../tf/index.js';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_FORMAT_VERSION,
  CheckpointError,
  decodeCheckpoint,
  LEARNER_FILE,
  LEARNER_WEIGHTS_FILE,
  LearnerStateSchema,
  META_FILE,
  MetaSchema,
  MODEL_FILE,
  ModelSchema,
  WEIGHTS_FILE,
  type CheckpointMeta,
  type CheckpointModel,
  type LearnerStateFile,
} from './checkpoint-format.js';
import type { QtOptLearner } from './learner.js';
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

let saveCounter = 0;

export interface SaveOptions {
  /** model.json's generatedBy. Default 'pincer'. */
  generatedBy?: string;
  /** Also save this learner's target chain and Adam state (learner.json/.bin), for restoreLearner. */
  learner?: QtOptLearner;
}

async function encodeLearnerState(learner: QtOptLearner): Promise<{ file: LearnerStateFile; weights: Uint8Array }> {
  const tensors = await learner.stateTensors();
  try {
    const { data, specs } = await tf.io.encodeWeights(tensors);
    const weights = new Uint8Array(data);
    const file: LearnerStateFile = {
      format: 'pincer-learner',
      formatVersion: 1,
      weightsSha256: sha256(weights),
      weightsManifest: [{ paths: [LEARNER_WEIGHTS_FILE], weights: specs.map((s) => ({ name: s.name, shape: [...s.shape], dtype: s.dtype as 'float32' | 'int32' })) }],
    };
    return { file, weights };
  } finally {
    tf.dispose(tensors.map((t) => t.tensor));
  }
}

/** Save `net` and `meta` as the folder `dir`, atomically (see the file comment); replaces an existing `dir`. */
export async function saveCheckpoint(dir: string, net: QNetwork, meta: CheckpointMeta, options: SaveOptions = {}): Promise<void> {
  const checked = MetaSchema.safeParse(meta);
  if (!checked.success) throw new CheckpointError(`${dir}/${META_FILE}: ${describeIssues(checked.error)}`);
  const { model, weights } = await encodeCheckpoint(net, options.generatedBy ?? 'pincer');
  const learner = options.learner ? await encodeLearnerState(options.learner) : null;
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const tag = `${process.pid}-${saveCounter++}`;
  const tmp = join(parent, `${basename(dir)}.tmp-${tag}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    writeFileSynced(join(tmp, WEIGHTS_FILE), weights);
    writeFileSynced(join(tmp, MODEL_FILE), `${JSON.stringify(model, null, 1)}\n`);
    writeFileSynced(join(tmp, META_FILE), `${JSON.stringify(checked.data, null, 2)}\n`);
    if (learner) {
      writeFileSynced(join(tmp, LEARNER_WEIGHTS_FILE), learner.weights);
      writeFileSynced(join(tmp, LEARNER_FILE), `${JSON.stringify(learner.file, null, 1)}\n`);
    }
    syncFolder(tmp);
    if (existsSync(dir)) {
      const old = join(parent, `${basename(dir)}.old-${tag}`);
      renameSync(dir, old);
      renameSync(tmp, dir);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, dir);
    }
    syncFolder(parent);
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

/**
 * Resume a learner from a checkpoint saved with `{learner}`: the acting net's weights
 * (the checkpoint's network), the online and target nets, and Adam's moments and step
 * count. The network config must match the learner's (the differing fields are named);
 * a checkpoint without learner.json is a CheckpointError.
 */
export async function restoreLearner(dir: string, learner: QtOptLearner): Promise<CheckpointMeta> {
  const { net, meta } = loadCheckpoint(dir, learner.online.config);
  try {
    hardUpdate(learner.acting.variables, net.variables);
  } finally {
    net.dispose();
  }
  const filePath = join(dir, LEARNER_FILE);
  if (!existsSync(filePath)) throw new CheckpointError(`${filePath}: missing (the checkpoint was saved without the learner state)`);
  const parsed = LearnerStateSchema.safeParse(readJson(filePath));
  if (!parsed.success) throw new CheckpointError(`${filePath}: not a pincer learner state (${describeIssues(parsed.error)})`);
  const binPath = join(dir, LEARNER_WEIGHTS_FILE);
  if (!existsSync(binPath)) throw new CheckpointError(`${binPath}: missing`);
  const bytes = readFileSync(binPath);
  const specs = parsed.data.weightsManifest[0]!.weights;
  const needed = specs.reduce((n, s) => n + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
  if (bytes.byteLength !== needed) throw new CheckpointError(`${binPath}: ${bytes.byteLength} bytes, the manifest needs ${needed}`);
  if (sha256(bytes) !== parsed.data.weightsSha256) throw new CheckpointError(`${binPath}: checksum differs from ${LEARNER_FILE}'s weightsSha256 (corrupt file)`);
  const tensors = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, specs);
  try {
    await learner.restoreState(tensors);
  } catch (err) {
    throw new CheckpointError(`${filePath}: ${(err as Error).message} (saved with other bellman settings or optimizer.averageDecay?)`);
  } finally {
    tf.dispose(Object.values(tensors));
  }
  return meta;
}
