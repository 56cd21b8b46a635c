/**
 * Held-out discipline in one place: training collects on 'train', evaluates
 * and picks checkpoints on 'validation', and has no way to name 'test'. Every
 * env the training loop and its collectors build comes from here.
 */
import { createGraspEnv, splitObjectSource, type GraspEnv } from '../env/node.js';
import { SplitError } from '../objects/index.js';
import type { SceneConfig } from '../scene/index.js';

export const TRAINING_SPLITS = ['train', 'validation'] as const;
export type TrainingSplit = (typeof TRAINING_SPLITS)[number];

/** A GraspEnv on a split training may use; anything else (the test split above all) is refused at run time too. */
export async function createTrainingEnv(scene: SceneConfig, split: TrainingSplit): Promise<GraspEnv> {
  if (!(TRAINING_SPLITS as readonly string[]).includes(split)) {
    throw new SplitError(`training code may use the ${TRAINING_SPLITS.join(' and ')} splits only, not '${split}'`);
  }
  return createGraspEnv({ scene, split, objectSource: splitObjectSource(split) });
}
