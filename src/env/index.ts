/**
 * The grasping environment: GraspEnv (Gymnasium's reset/step contract over the
 * sim and the renderer), the action space, the QT-Opt success detector, the
 * `Policy` contract and the episode runner that produces `EpisodeRecord`s.
 *
 * Usage:
 * ```ts
 * const env = await createGraspEnv({ scene, split: 'train', objectSource: splitObjectSource('train') });
 * let { obs, info } = env.reset({ seed });            // same seed => same episode, bit for bit
 * const r = env.step(action);                         // Float32Array(ACTION_DIM) in [-1, 1]
 * // r.terminated on the last step (the agent's terminate > 0, or maxSteps reached: the final
 * // grasp is terminal either way; r.truncated is always false); on the last step
 * // r.info.evaluation = { isGrasped, dropDetected, success, groundTruthSuccess, heldAtClose, … }
 * outcomeBreakdown(finalInfos, { byObject })         // why grasps failed, success by family (and object), where they closed (ground truth, diagnosis only)
 * const { record } = runEpisode(env, policy, seed);   // EpisodeRecord for data / replay
 * env.close();
 * ```
 * This surface is portable (the viewer builds a GraspEnv on a browser canvas);
 * `createGraspEnv` (headless gl, Xvfb) is in `./node.ts`.
 *
 * `info.privileged` (simulator poses and object specs) is for privileged policies
 * (the scripted grasper) and validation only; learned agents must not read it.
 */
export {
  ACTION,
  MOVE_DIMS,
  ACTION_DIM,
  ACTION_NAMES,
  STATE_DIM,
  STATE_NAMES,
  gripperState,
  type Observation,
  type StepRecord,
  type EpisodeRecord,
} from './types.js';
export {
  actionSpace,
  decodeAction,
  nextTarget,
  heightHackZ,
  YAW_LIMIT,
  type BoxSpace,
  type DecodedAction,
  type GripperTarget,
} from './action.js';
export {
  changedPixels,
  dilate,
  dropTest,
  detectorVerdict,
  type DropTestInput,
  type DropTestResult,
  type DetectorVerdict,
} from './detector.js';
export {
  GraspEnv,
  type GraspEnvOptions,
  type FrameRenderer,
  type ObjectSource,
  type PrivilegedState,
  type Evaluation,
  type StepInfo,
  type ResetResult,
  type StepResult,
  type EnvTiming,
  type PhaseTiming,
} from './grasp-env.js';
export { Episode, runEpisode, type Policy, type EpisodeOutcome } from './runner.js';
export {
  detectorCounts,
  graspFailure,
  graspedFamily,
  graspedObjectId,
  graspPlacement,
  outcomeBreakdown,
  type DetectorCounts,
  type GraspFailure,
  type FailureCounts,
  type FamilyOutcome,
  type OutcomeBreakdown,
  type Placement,
} from './outcome.js';
export { splitObjectSource, listObjectSource } from './make.js';
