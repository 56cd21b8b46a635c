export {
  ACTION_DIM,
  ACTION_NAMES,
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
export { runEpisode, type Policy, type EpisodeOutcome } from './runner.js';
export { createGraspEnv, splitObjectSource, listObjectSource } from './make.js';
