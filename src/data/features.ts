/**
 * The columns of a pincer dataset, described three ways from one spec:
 * LeRobot's `meta/info.json` features (dtype, shape, names), the Hugging Face
 * `datasets` features stored in each parquet file's `huggingface` key (so
 * `datasets` decodes the image column as images), and the parquet schema the
 * writer uses. Keeping all three here means they cannot drift apart.
 */
import type { SchemaElement } from 'hyparquet-writer';
import { ACTION_DIM, ACTION_NAMES } from '../env/index.js';

/** What fixes a dataset's columns. Every episode of a dataset shares it. */
export interface DatasetSpec {
  /** Camera name; the image column is `observation.images.<camera>`. */
  camera: string;
  /** Image size, px. */
  imageWidth: number;
  imageHeight: number;
  /** Env steps per second (1 / scene.action.stepDuration). */
  fps: number;
  /** The one task description every episode carries (tasks.jsonl). */
  task: string;
  /** LeRobot's robot_type. */
  robotType: string;
  /** Object library version (`LIBRARY_VERSION`) the episodes were collected with; info.json's `library_version`. */
  libraryVersion?: string;
  /**
   * Names of `observation.state`'s values: env's STATE_NAMES, or their first 3
   * ([aperture, closed, height]) in a dataset collected before x, y and yaw were
   * recorded, whose meta/pincer.json lacks the field (readHeader takes it from info.json).
   */
  stateNames: readonly string[];
}

export const DEFAULT_CAMERA = 'shoulder';
export const DEFAULT_TASK = 'grasp any object in the bin and lift it';
export const ROBOT_TYPE = 'pincer_gripper';

export type FeatureDtype = 'image' | 'float32' | 'int64' | 'bool';

/** One entry of info.json's `features`, as LeRobot v2.1 writes it. */
export interface FeatureInfo {
  dtype: FeatureDtype;
  shape: number[];
  names: string[] | null;
}

export function imageKey(camera: string): string {
  return `observation.images.${camera}`;
}

/** info.json `features`, in column order. */
export function datasetFeatures(spec: DatasetSpec): Record<string, FeatureInfo> {
  const scalar = (dtype: FeatureDtype): FeatureInfo => ({ dtype, shape: [1], names: null });
  return {
    [imageKey(spec.camera)]: {
      dtype: 'image',
      shape: [spec.imageHeight, spec.imageWidth, 3],
      names: ['height', 'width', 'channels'],
    },
    'observation.state': { dtype: 'float32', shape: [spec.stateNames.length], names: [...spec.stateNames] },
    action: { dtype: 'float32', shape: [ACTION_DIM], names: [...ACTION_NAMES] },
    timestamp: scalar('float32'),
    frame_index: scalar('int64'),
    episode_index: scalar('int64'),
    index: scalar('int64'),
    task_index: scalar('int64'),
    'next.reward': scalar('float32'),
    'next.done': scalar('bool'),
    'next.success': scalar('bool'),
  };
}

/**
 * The `datasets` features JSON for the parquet `huggingface` key. Vectors are
 * `Sequence`s with a fixed length and images `{"_type": "Image"}`, as LeRobot's
 * `get_hf_features_from_features` produces them.
 */
export function huggingfaceMetadata(spec: DatasetSpec): string {
  const features: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(datasetFeatures(spec))) {
    if (f.dtype === 'image') features[name] = { _type: 'Image' };
    else if (f.names !== null) features[name] = { feature: { dtype: f.dtype, _type: 'Value' }, length: f.shape[0], _type: 'Sequence' };
    else features[name] = { dtype: f.dtype, _type: 'Value' };
  }
  return JSON.stringify({ info: { features } });
}

/**
 * Parquet schema matching what pyarrow writes for the same arrow types:
 * images as struct<bytes: binary, path: string>, vectors as 3-level LISTs of
 * float, scalars as nullable primitives.
 */
export function parquetSchema(spec: DatasetSpec): SchemaElement[] {
  const features = datasetFeatures(spec);
  const schema: SchemaElement[] = [{ name: 'schema', num_children: Object.keys(features).length }];
  for (const [name, f] of Object.entries(features)) {
    if (f.dtype === 'image') {
      schema.push(
        { name, repetition_type: 'OPTIONAL', num_children: 2 },
        { name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
        { name: 'path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      );
    } else if (f.names !== null) {
      schema.push(
        { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', type: 'FLOAT', repetition_type: 'OPTIONAL' },
      );
    } else {
      const type = f.dtype === 'float32' ? 'FLOAT' : f.dtype === 'int64' ? 'INT64' : 'BOOLEAN';
      schema.push({ name, type, repetition_type: 'OPTIONAL' });
    }
  }
  return schema;
}
