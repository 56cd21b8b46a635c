/**
 * Why grasps fail, from simulator ground truth: for diagnosis only (rollouts of
 * any policy, and the learned policy's evaluation), never for reward or
 * training. Pure functions over the final step's `info`.
 *
 * | failure  | ground truth at the end of the episode                                    |
 * |----------|---------------------------------------------------------------------------|
 * | blocked  | nothing lifted, nothing held at close, and the guarded descent was stopped  |
 * |          | on an object or a wall top above the commanded height                      |
 * | missed   | nothing lifted and nothing held at close: the fingers closed on nothing     |
 * | slipped  | something was held between the pads at close but nothing was lifted         |
 *
 * `detector_disagreed` counts episodes where the success detector's verdict
 * differs from ground truth, whatever the outcome.
 *
 * `placement` asks whether a policy goes where the objects are: the distance from
 * the palm to the nearest object when the fingers closed, against the same distance
 * to another episode's objects. A policy that ignores the objects (it grasps at a
 * place it learned, whatever the bin holds) gets the same mean for both.
 */
import type { ObjectSpec } from '../objects/types.js';
import type { StepInfo } from './grasp-env.js';
import type { EpisodeRecord } from './types.js';

export type GraspFailure = 'missed' | 'slipped' | 'blocked';

export interface FailureCounts {
  missed: number;
  slipped: number;
  blocked: number;
  detector_disagreed: number;
}

/** Success of the episodes on objects of one family (the family of the object grasped at). */
export interface FamilyOutcome {
  episodes: number;
  /** Detected successes. */
  successes: number;
  success_rate: number;
  /** Ground-truth successes. */
  ground_truth_successes: number;
}

/** Where the fingers closed against where the objects were, over episodes with objects. */
export interface Placement {
  episodes: number;
  /** Mean xy distance from the palm to the nearest object centre when the fingers closed, m. */
  nearest_object_m: number;
  /** The same to the nearest object of the next episode (the last pairs with the first): what a policy blind to the objects gets. */
  shuffled_nearest_object_m: number;
}

export interface OutcomeBreakdown {
  failures: FailureCounts;
  by_family: Record<string, FamilyOutcome>;
  /** The same by the grasped object's id ('none' for an empty bin), when asked for: an imported set's objects are all of family 'mesh'. */
  by_object?: Record<string, FamilyOutcome>;
  /** Null with fewer than two episodes with objects. */
  placement: Placement | null;
}

/** The failure of an episode from its final step's info, or null when ground truth says it succeeded. */
export function graspFailure(finalInfo: StepInfo): GraspFailure | null {
  const e = finalInfo.evaluation;
  if (!e) throw new Error('graspFailure: this info is not the final step of an episode (no evaluation)');
  if (e.groundTruthSuccess) return null;
  if (e.heldAtClose.length > 0) return 'slipped';
  return e.descentBlockedBy === null ? 'missed' : 'blocked';
}

/** The object the episode's grasp was made on; null for an empty bin. */
function graspedSpec(finalInfo: StepInfo): ObjectSpec | null {
  const i = finalInfo.evaluation?.graspedObject;
  return i === null || i === undefined ? null : finalInfo.privileged.objects[i];
}

/** Family (ObjectSpec.kind) of the object the episode's grasp was made on; 'none' for an empty bin. */
export function graspedFamily(finalInfo: StepInfo): string {
  return graspedSpec(finalInfo)?.kind ?? 'none';
}

/** Id of the object the episode's grasp was made on; 'none' for an empty bin. */
export function graspedObjectId(finalInfo: StepInfo): string {
  return graspedSpec(finalInfo)?.id ?? 'none';
}

/** Success of the episodes grouped by `key`, keys sorted. */
function successBy(finalInfos: readonly StepInfo[], key: (info: StepInfo) => string): Record<string, FamilyOutcome> {
  const by: Record<string, FamilyOutcome> = {};
  for (const info of finalInfos) {
    const e = info.evaluation!;
    const f = (by[key(info)] ??= { episodes: 0, successes: 0, success_rate: 0, ground_truth_successes: 0 });
    f.episodes++;
    if (e.success) f.successes++;
    if (e.groundTruthSuccess) f.ground_truth_successes++;
  }
  for (const f of Object.values(by)) f.success_rate = f.successes / f.episodes;
  return Object.fromEntries(Object.entries(by).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Failure counts and success by family (and, with `byObject`, by object) over the final infos of many episodes. */
export function outcomeBreakdown(finalInfos: readonly StepInfo[], { byObject = false }: { byObject?: boolean } = {}): OutcomeBreakdown {
  const failures: FailureCounts = { missed: 0, slipped: 0, blocked: 0, detector_disagreed: 0 };
  for (const info of finalInfos) {
    const failure = graspFailure(info);
    if (failure) failures[failure]++;
    const e = info.evaluation!;
    if (e.success !== e.groundTruthSuccess) failures.detector_disagreed++;
  }
  return {
    failures,
    by_family: successBy(finalInfos, graspedFamily),
    ...(byObject ? { by_object: successBy(finalInfos, graspedObjectId) } : {}),
    placement: graspPlacement(finalInfos),
  };
}

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

/** Placement of the grasps of many episodes (see Placement), or null with fewer than two episodes with objects. */
export function graspPlacement(finalInfos: readonly StepInfo[]): Placement | null {
  const closes = finalInfos.map((info) => info.evaluation!.atClose).filter((c) => c.objects.length > 0);
  if (closes.length < 2) return null;
  const nearest = (palm: readonly [number, number], objects: readonly (readonly [number, number])[]): number =>
    Math.min(...objects.map(([x, y]) => Math.hypot(x - palm[0], y - palm[1])));
  return {
    episodes: closes.length,
    nearest_object_m: mean(closes.map((c) => nearest(c.palm, c.objects))),
    shuffled_nearest_object_m: mean(closes.map((c, i) => nearest(c.palm, closes[(i + 1) % closes.length].objects))),
  };
}

/** The success detector against ground truth, counting ground truth as the label. */
export interface DetectorCounts {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  agreement: number;
}

export function detectorCounts(records: readonly Pick<EpisodeRecord, 'success' | 'groundTruthSuccess'>[]): DetectorCounts {
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (const r of records) {
    if (r.success && r.groundTruthSuccess) c.tp++;
    else if (r.success) c.fp++;
    else if (r.groundTruthSuccess) c.fn++;
    else c.tn++;
  }
  return { ...c, agreement: records.length === 0 ? 0 : (c.tp + c.tn) / records.length };
}
