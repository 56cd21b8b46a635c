/**
 * Q-accuracy: the predicted Q(s₀, a₀) at each episode start against the
 * discounted return the episode then realized (van Hasselt et al. 2016, fig. 3:
 * DQN's estimates sit above the true values and double Q brings them down).
 * Positive `overestimation` means the network promised more than it got.
 */

/** G = Σ_t γ^t r_t. */
export function discountedReturn(rewards: ArrayLike<number>, gamma: number): number {
  let g = 0;
  let scale = 1;
  for (let t = 0; t < rewards.length; t++) {
    g += scale * rewards[t];
    scale *= gamma;
  }
  return g;
}

export interface QAccuracySummary {
  /** Episodes recorded. */
  episodes: number;
  /** Mean predicted Q(s₀, a₀). */
  meanPredicted: number;
  /** Mean realized discounted return from s₀. */
  meanRealized: number;
  /** Mean of predicted − realized (> 0: overestimation). */
  overestimation: number;
  /** Mean |predicted − realized|. */
  meanAbsError: number;
}

/** Accumulates one episode at a time: beginEpisode(q0), addReward(r) per step, endEpisode(). */
export class QAccuracy {
  private predicted = 0;
  private realized = 0;
  private scale = 1;
  private open = false;
  private sums = { episodes: 0, predicted: 0, realized: 0, error: 0, absError: 0 };

  constructor(readonly gamma: number) {}

  beginEpisode(predictedQ0: number): void {
    this.predicted = predictedQ0;
    this.realized = 0;
    this.scale = 1;
    this.open = true;
  }

  addReward(reward: number): void {
    if (!this.open) throw new Error('QAccuracy.addReward before beginEpisode');
    this.realized += this.scale * reward;
    this.scale *= this.gamma;
  }

  /** Close the episode; returns its (predicted, realized) pair. */
  endEpisode(): { predicted: number; realized: number } {
    if (!this.open) throw new Error('QAccuracy.endEpisode before beginEpisode');
    this.open = false;
    const s = this.sums;
    const e = this.predicted - this.realized;
    s.episodes++;
    s.predicted += this.predicted;
    s.realized += this.realized;
    s.error += e;
    s.absError += Math.abs(e);
    return { predicted: this.predicted, realized: this.realized };
  }

  /** Means over the episodes recorded since construction or the last `reset` (NaN with none). */
  summary(): QAccuracySummary {
    const s = this.sums;
    const n = s.episodes;
    return {
      episodes: n,
      meanPredicted: s.predicted / n,
      meanRealized: s.realized / n,
      overestimation: s.error / n,
      meanAbsError: s.absError / n,
    };
  }

  /** Forget recorded episodes (e.g. after logging a window). */
  reset(): void {
    this.sums = { episodes: 0, predicted: 0, realized: 0, error: 0, absError: 0 };
  }
}
