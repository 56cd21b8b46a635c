/**
 * QT-Opt's automatic success detector, from what a real robot has: its finger
 * aperture and its camera. Pure functions over images (H×W×3 uint8, row-major);
 * the env supplies the images and never passes simulator ground truth in here.
 *
 * Drop test: one image while the lifted gripper holds whatever it holds, then the
 * fingers open, the scene settles, and a second image. A held object leaves the
 * fingers and lands in the bin, so pixels outside the gripper change. The gripper
 * itself changes too (its fingers open), so pixels the gripper covers in either
 * image are masked out; the robot knows that region from its own pose and the
 * camera model (the env renders the gripper alone to get it).
 */

/** Pixels where any channel differs by more than `threshold`: 1 changed, 0 same. [H*W] */
export function changedPixels(a: Uint8Array, b: Uint8Array, threshold: number, out?: Uint8Array): Uint8Array {
  if (a.length !== b.length || a.length % 3 !== 0) {
    throw new RangeError(`changedPixels: images must be equal-sized H*W*3 arrays, got ${a.length} and ${b.length}`);
  }
  const n = a.length / 3;
  const mask = out ?? new Uint8Array(n);
  for (let p = 0, i = 0; p < n; p++, i += 3) {
    const d0 = Math.abs(a[i] - b[i]);
    const d1 = Math.abs(a[i + 1] - b[i + 1]);
    const d2 = Math.abs(a[i + 2] - b[i + 2]);
    mask[p] = d0 > threshold || d1 > threshold || d2 > threshold ? 1 : 0;
  }
  return mask;
}

/** Grow a binary mask by `radius` pixels (square neighbourhood), so anti-aliased edges are covered. [H*W] */
export function dilate(mask: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!mask[y * width + x]) continue;
      const y0 = Math.max(0, y - radius);
      const y1 = Math.min(height - 1, y + radius);
      const x0 = Math.max(0, x - radius);
      const x1 = Math.min(width - 1, x + radius);
      for (let yy = y0; yy <= y1; yy++) out.fill(1, yy * width + x0, yy * width + x1 + 1);
    }
  }
  return out;
}

export interface DropTestInput {
  /** Image while holding, lifted. [H*W*3] */
  holding: Uint8Array;
  /** Image after opening and settling, gripper at the same pose. [H*W*3] */
  released: Uint8Array;
  /** Pixels the gripper covers in either image: 1 = ignore. [H*W] */
  gripperMask: Uint8Array;
  /** Per-channel change (0-255) for a pixel to count as changed. */
  pixelThreshold: number;
  /** Fraction of the unmasked pixels that must change to call it a drop. */
  pixelFraction: number;
}

export interface DropTestResult {
  /** Changed pixels outside the gripper mask. */
  changedPixels: number;
  /** changedPixels over the number of unmasked pixels. */
  changedFraction: number;
  /** Something fell out of the opened fingers. */
  dropped: boolean;
}

export function dropTest(input: DropTestInput): DropTestResult {
  const changed = changedPixels(input.holding, input.released, input.pixelThreshold);
  if (changed.length !== input.gripperMask.length) {
    throw new RangeError(`dropTest: gripper mask has ${input.gripperMask.length} pixels, images have ${changed.length}`);
  }
  let count = 0;
  let free = 0;
  for (let p = 0; p < changed.length; p++) {
    if (input.gripperMask[p]) continue;
    free++;
    count += changed[p];
  }
  const changedFraction = free === 0 ? 0 : count / free;
  return { changedPixels: count, changedFraction, dropped: count > 0 && changedFraction >= input.pixelFraction };
}

/** The detector's verdict, with the evidence for each part (ManiSkill-style named booleans). */
export interface DetectorVerdict {
  /** Aperture after lifting, m. */
  aperture: number;
  /** The fingers stopped on something: aperture > success.emptyAperture. */
  fingersBlocked: boolean;
  /** Drop test result; null when the aperture already said "empty" and the test was skipped. */
  drop: DropTestResult | null;
  /** fingersBlocked and the drop test saw something fall. */
  success: boolean;
}

/** Combine the two checks: closed-on-nothing fails at once, otherwise the drop test decides. */
export function detectorVerdict(aperture: number, emptyAperture: number, drop: DropTestResult | null): DetectorVerdict {
  const fingersBlocked = aperture > emptyAperture;
  return { aperture, fingersBlocked, drop, success: fingersBlocked && drop !== null && drop.dropped };
}
