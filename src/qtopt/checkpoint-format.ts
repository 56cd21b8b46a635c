/**
 * The checkpoint format without the filesystem (checkpoint.ts documents the
 * layout): the schemas of model.json and checkpoint.json, and decoding a network
 * from their bytes, so the browser build can load a checkpoint with fetch.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { describeIssues } from '../rl/index.js';
import { QNetwork, type QNetConfig } from '../tf/index.js';
import { NetworkSchema } from './config.js';

export const CHECKPOINT_FORMAT = 'pincer-qnet';
export const CHECKPOINT_FORMAT_VERSION = 1;
export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
export const META_FILE = 'checkpoint.json';
export const LEARNER_FILE = 'learner.json';
export const LEARNER_WEIGHTS_FILE = 'learner.bin';

/** A missing, corrupt or mismatching checkpoint: one line naming the file or the differing fields. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export const MetaSchema = z.strictObject({
  /** Gradient steps taken when saved. */
  step: z.number().int().min(0),
  /** Env steps collected when saved. */
  envSteps: z.number().int().min(0),
  /** Success rate on the validation split at this step, or null if not evaluated. */
  validationSuccess: z.number().min(0).max(1).nullable(),
  /** The object library's version (src/objects LIBRARY_VERSION) the data came from. */
  libraryVersion: z.string(),
  /** configHash of the run's resolved QtOptConfig. */
  configHash: z.string(),
});

export type CheckpointMeta = z.output<typeof MetaSchema>;

const WeightSpecSchema = z.object({ name: z.string(), shape: z.array(z.number().int().min(0)), dtype: z.literal('float32') });

export const ModelSchema = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  formatVersion: z.literal(CHECKPOINT_FORMAT_VERSION),
  generatedBy: z.string(),
  network: NetworkSchema,
  weightsSha256: z.string(),
  weightsManifest: z.array(z.object({ paths: z.array(z.string()), weights: z.array(WeightSpecSchema) })).length(1),
});

export type CheckpointModel = z.output<typeof ModelSchema>;

/** learner.json: the resume state beyond the online weights (QtOptLearner.stateTensors), in the same manifest layout. */
export const LearnerStateSchema = z.object({
  format: z.literal('pincer-learner'),
  formatVersion: z.literal(1),
  weightsSha256: z.string(),
  weightsManifest: z
    .array(z.object({ paths: z.array(z.string()), weights: z.array(z.object({ name: z.string(), shape: z.array(z.number().int().min(0)), dtype: z.enum(['float32', 'int32']) })) }))
    .length(1),
});

export type LearnerStateFile = z.output<typeof LearnerStateSchema>;

/**
 * A QNetwork from model.json's content and weights.bin's bytes (no fs: the browser
 * path). `where` names the checkpoint in errors; with `sha256` (Node passes
 * node:crypto's) the bytes are checked against model.json's weightsSha256.
 */
export function decodeCheckpoint(modelJson: unknown, weights: Uint8Array, where = 'checkpoint', sha256?: (bytes: Uint8Array) => string): QNetwork {
  const parsed = ModelSchema.safeParse(modelJson);
  if (!parsed.success) throw new CheckpointError(`${where}/${MODEL_FILE}: not a pincer checkpoint (${describeIssues(parsed.error)})`);
  const model = parsed.data;
  const specs = model.weightsManifest[0]!.weights;
  const needed = specs.reduce((n, s) => n + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
  if (weights.byteLength !== needed) {
    throw new CheckpointError(`${where}/${WEIGHTS_FILE}: ${weights.byteLength} bytes, the manifest needs ${needed}`);
  }
  if (sha256 && sha256(weights) !== model.weightsSha256) {
    throw new CheckpointError(`${where}/${WEIGHTS_FILE}: checksum differs from ${MODEL_FILE}'s weightsSha256 (corrupt file)`);
  }
  const net = new QNetwork(model.network as QNetConfig, 0);
  const own = net.namedVariables();
  const byName = new Map(specs.map((s) => [s.name, s]));
  for (const { name, variable } of own) {
    const spec = byName.get(name);
    if (!spec) {
      net.dispose();
      throw new CheckpointError(`${where}/${MODEL_FILE}: no weight ${name}, which the network needs`);
    }
    if (spec.shape.join(',') !== variable.shape.join(',')) {
      net.dispose();
      throw new CheckpointError(`${where}/${MODEL_FILE}: weight ${name} has shape [${spec.shape}], the network needs [${variable.shape}]`);
    }
  }
  if (specs.length !== own.length) {
    net.dispose();
    const extra = specs.filter((s) => !own.some((o) => o.name === s.name)).map((s) => s.name);
    throw new CheckpointError(`${where}/${MODEL_FILE}: weights the network does not have: ${extra.join(', ')}`);
  }
  const buffer = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  const tensors = tf.io.decodeWeights(buffer, specs);
  tf.tidy(() => {
    for (const { name, variable } of own) variable.assign(tensors[name]!);
  });
  tf.dispose(Object.values(tensors));
  return net;
}

