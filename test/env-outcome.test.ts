/**
 * The failure taxonomy (src/env/outcome.ts) on hand-made final infos with known
 * answers: each row of its table, detector disagreement, success by family, and
 * where the fingers closed.
 */
import { describe, expect, it } from 'vitest';
import { detectorCounts, graspFailure, graspPlacement, graspedFamily, graspedObjectId, outcomeBreakdown, type Evaluation, type StepInfo } from '../src/env/index.js';
import type { ObjectSpec } from '../src/objects/index.js';

const spec = (id: string, kind: string): ObjectSpec => ({ id, kind, split: 'train', parts: [], mass: 0.1, friction: 1, color: [1, 1, 1] });
const objects = [spec('a', 'box'), spec('b', 'compound')];

function final(e: Partial<Evaluation>): StepInfo {
  const evaluation: Evaluation = {
    isGrasped: false,
    dropDetected: false,
    success: false,
    groundTruthSuccess: false,
    heldAtClose: [],
    descentBlockedBy: null,
    graspedObject: 0,
    atClose: { palm: [0, 0], objects: [[0.1, 0], [0, 0.2]] },
    ...e,
  };
  const pose = { position: [0, 0, 0] as [number, number, number], quaternion: [0, 0, 0, 1] as [number, number, number, number] };
  return {
    step: 3,
    objectIds: objects.map((o) => o.id),
    privileged: { objects, snapshot: { objects: [pose, pose], gripper: { position: [0, 0, 0.1], yaw: 0, aperture: 0 } } },
    evaluation,
  };
}

const success = final({ success: true, groundTruthSuccess: true, heldAtClose: [1], graspedObject: 1 });
const missed = final({});
const blockedByObject = final({ descentBlockedBy: 1, graspedObject: 1 });
const blockedByWall = final({ descentBlockedBy: 'wall' });
const slipped = final({ heldAtClose: [0], descentBlockedBy: 1, isGrasped: true });
// The detector called a failure a success.
const falseSuccess = final({ success: true, heldAtClose: [0] });

describe('grasp failure taxonomy', () => {
  it('classifies each row of the table', () => {
    expect(graspFailure(success)).toBeNull();
    expect(graspFailure(missed)).toBe('missed');
    expect(graspFailure(blockedByObject)).toBe('blocked');
    expect(graspFailure(blockedByWall)).toBe('blocked');
    // Held at close wins over a blocked descent: the fingers had the object, the lift lost it.
    expect(graspFailure(slipped)).toBe('slipped');
    // Ground truth decides, not the detector.
    expect(graspFailure(falseSuccess)).toBe('slipped');
  });

  it('refuses an info that is not the last step of an episode', () => {
    expect(() => graspFailure({ ...missed, evaluation: undefined })).toThrow(/not the final step/);
  });

  it('counts failures, detector disagreement and success by the grasped object family', () => {
    const infos = [success, missed, blockedByObject, blockedByWall, slipped, falseSuccess];
    expect(graspedFamily(success)).toBe('compound');
    expect(graspedFamily(final({ graspedObject: null }))).toBe('none');
    const { failures, by_family } = outcomeBreakdown(infos);
    expect(failures).toEqual({ missed: 1, slipped: 2, blocked: 2, detector_disagreed: 1 });
    expect(by_family).toEqual({
      box: { episodes: 4, successes: 1, success_rate: 0.25, ground_truth_successes: 0 },
      compound: { episodes: 2, successes: 1, success_rate: 0.5, ground_truth_successes: 1 },
    });
    expect(Object.keys(by_family)).toEqual(['box', 'compound']);
    const records = infos.map((i) => ({ success: i.evaluation!.success, groundTruthSuccess: i.evaluation!.groundTruthSuccess }));
    expect(detectorCounts(records)).toEqual({ tp: 1, fp: 1, tn: 4, fn: 0, agreement: 5 / 6 });
    expect(outcomeBreakdown(infos).by_object).toBeUndefined();
  });

  it('gives success by the grasped object when asked: an imported set is all one family', () => {
    const mesh = [spec('mug-1', 'mesh'), spec('tee-2', 'mesh')];
    const imported = (info: StepInfo): StepInfo => ({ ...info, privileged: { ...info.privileged, objects: mesh } });
    const infos = [success, missed, slipped, final({ graspedObject: null })].map(imported);
    expect(graspedObjectId(infos[0]!)).toBe('tee-2');
    const { by_family, by_object } = outcomeBreakdown(infos, { byObject: true });
    expect(Object.keys(by_family)).toEqual(['mesh', 'none']);
    expect(by_object).toEqual({
      'mug-1': { episodes: 2, successes: 0, success_rate: 0, ground_truth_successes: 0 },
      none: { episodes: 1, successes: 0, success_rate: 0, ground_truth_successes: 0 },
      'tee-2': { episodes: 1, successes: 1, success_rate: 1, ground_truth_successes: 1 },
    });
  });

  it('measures where the fingers closed against where the objects were, and against another episode\'s objects', () => {
    // Episode 1 closes on its object; episode 2 closes 3 cm from its own and 30 cm from episode 1's.
    const one = final({ atClose: { palm: [0.1, 0.1], objects: [[0.1, 0.1], [-0.2, -0.2]] } });
    const two = final({ atClose: { palm: [-0.2, 0.1], objects: [[-0.2, 0.13]] } });
    const p = graspPlacement([one, two])!;
    expect(p.episodes).toBe(2);
    expect(p.nearest_object_m).toBeCloseTo((0 + 0.03) / 2, 12);
    // one's palm to two's object: hypot(0.3, 0.03); two's palm to one's objects: 0.3 (to (0.1, 0.1)).
    expect(p.shuffled_nearest_object_m).toBeCloseTo((Math.hypot(0.3, 0.03) + 0.3) / 2, 12);
    // An empty bin has nothing to be near; one episode has nothing to shuffle with.
    expect(graspPlacement([one, final({ atClose: { palm: [0, 0], objects: [] } })])).toBeNull();
    expect(outcomeBreakdown([one, two]).placement).toEqual(p);
  });
});
