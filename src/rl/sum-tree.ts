/**
 * Segment trees over a fixed number of leaves, for prioritized replay
 * (Schaul et al. 2016, "Prioritized Experience Replay", appendix B.2.1):
 * a sum tree finds the leaf whose prefix sum contains a value in O(log N),
 * a min tree gives the smallest priority for the max importance weight.
 *
 * Layout: a complete binary tree in one Float64Array [2P], P = leaves rounded
 * up to a power of two; node 1 is the root, node k has children 2k and 2k+1,
 * leaf i lives at P + i. Float64 so that sums of a million float priorities
 * stay exact enough for sampling.
 */

/** Leaves rounded up to a power of two (at least 1). */
export function treeLeaves(capacity: number): number {
  let p = 1;
  while (p < capacity) p *= 2;
  return p;
}

export class SumTree {
  /** [2P] node sums; leaves at [P, 2P). */
  readonly nodes: Float64Array;
  readonly leaves: number;

  constructor(readonly capacity: number) {
    this.leaves = treeLeaves(capacity);
    this.nodes = new Float64Array(2 * this.leaves);
  }

  /** Sum of all leaves. */
  total(): number {
    return this.nodes[1];
  }

  get(index: number): number {
    return this.nodes[this.leaves + index];
  }

  set(index: number, value: number): void {
    let k = this.leaves + index;
    this.nodes[k] = value;
    for (k >>= 1; k >= 1; k >>= 1) this.nodes[k] = this.nodes[2 * k] + this.nodes[2 * k + 1];
  }

  /**
   * The leaf i with prefix(i) <= mass < prefix(i) + leaf(i), for mass in [0, total).
   * Zero-priority leaves are never returned (when total > 0): the descent only
   * enters subtrees with a positive sum, so rounding at the top end of the mass
   * lands on the last positive leaf rather than on an empty one.
   */
  find(mass: number): number {
    let k = 1;
    while (k < this.leaves) {
      const left = this.nodes[2 * k];
      if (mass < left || this.nodes[2 * k + 1] <= 0) {
        k = 2 * k;
      } else {
        mass -= left;
        k = 2 * k + 1;
      }
    }
    return k - this.leaves;
  }
}

export class MinTree {
  /** [2P] node minima; unused leaves hold +Infinity. */
  readonly nodes: Float64Array;
  readonly leaves: number;

  constructor(readonly capacity: number) {
    this.leaves = treeLeaves(capacity);
    this.nodes = new Float64Array(2 * this.leaves).fill(Infinity);
  }

  /** Smallest leaf (Infinity when every leaf is unset). */
  min(): number {
    return this.nodes[1];
  }

  set(index: number, value: number): void {
    let k = this.leaves + index;
    this.nodes[k] = value;
    for (k >>= 1; k >= 1; k >>= 1) this.nodes[k] = Math.min(this.nodes[2 * k], this.nodes[2 * k + 1]);
  }
}
