/**
 * Evaluating a policy: N episodes from seeds deriveSeed(S, i), so every policy
 * evaluated with the same S meets the same bins, and what `pincer eval` and
 * the training loop's periodic validation report.
 *
 * Calibration (the lecture's "are the Q-values accurate?"): the policy's
 * predicted success at the first step, Q(s₀, a₀), binned, against the
 * realized success of those episodes. A calibrated Q-function puts each bin's
 * realized rate inside its interval around the bin's mean prediction.
 */
import { detectorCounts, outcomeBreakdown, runEpisode, type DetectorCounts, type EpisodeOutcome, type GraspEnv, type Observation, type OutcomeBreakdown, type Policy, type StepInfo } from '../env/index.js';
import { deriveSeed, type Rng } from '../random/index.js';
import { wilsonInterval } from '../report/index.js';

/** A policy that can say how likely it thinks its last action is to succeed (the CEM policy's Q). */
export interface PredictingPolicy extends Policy {
  readonly lastPrediction: number | null;
}

export interface EvalEpisode {
  index: number;
  seed: number;
  success: boolean;
  groundTruthSuccess: boolean;
  steps: number;
  /** Predicted success at the first step, or null for a policy without a Q-function. */
  predictedSuccess: number | null;
  outcome: EpisodeOutcome;
}

export interface CalibrationBin {
  /** Bin edges of predicted success, [lo, hi). The last bin includes 1. */
  lo: number;
  hi: number;
  episodes: number;
  mean_predicted: number | null;
  realized: number | null;
  realized_ci95: [number, number] | null;
}

export interface EvalSummary {
  episodes: number;
  successes: number;
  success_rate: number;
  success_ci95: [number, number];
  ground_truth_successes: number;
  mean_steps: number;
  detector: DetectorCounts;
  /** Mean wall time of one policy.act call, ms. */
  policy_ms_per_step: number;
  /** Why grasps failed, from ground truth (src/env's taxonomy: missed, slipped, blocked; detector disagreed). */
  failures: OutcomeBreakdown['failures'];
  /** Success by the family of the object grasped at. */
  by_family: OutcomeBreakdown['by_family'];
  /** Where the fingers closed against where the objects were (ground truth): does the policy go to the objects? */
  placement: OutcomeBreakdown['placement'];
  calibration: CalibrationBin[];
}

/** Bins of predicted success in the calibration table. */
export const CALIBRATION_BINS = 5;

/** Wraps a policy to time its act() calls and keep its first-step prediction. */
class Observed implements Policy {
  ms = 0;
  calls = 0;
  first: number | null = null;
  private atFirstStep = true;

  constructor(private readonly inner: Policy) {}

  get name(): string {
    return this.inner.name;
  }

  reset(rng: Rng): void {
    this.inner.reset(rng);
    this.atFirstStep = true;
    this.first = null;
  }

  act(obs: Observation, info: StepInfo): Float32Array {
    const t0 = performance.now();
    const action = this.inner.act(obs, info);
    this.ms += performance.now() - t0;
    this.calls++;
    if (this.atFirstStep) {
      this.first = 'lastPrediction' in this.inner ? ((this.inner as PredictingPolicy).lastPrediction ?? null) : null;
      this.atFirstStep = false;
    }
    return action;
  }
}

/** Run `episodes` episodes of `policy` from seeds deriveSeed(seed, i), i = 0 … N−1. */
export function runEvaluation(
  env: GraspEnv,
  policy: Policy,
  opts: { episodes: number; seed: number; onEpisode?: (done: number, successes: number) => void },
): { episodes: EvalEpisode[]; policyMsPerStep: number } {
  const observed = new Observed(policy);
  const out: EvalEpisode[] = [];
  let successes = 0;
  for (let i = 0; i < opts.episodes; i++) {
    const seed = deriveSeed(opts.seed, i);
    const outcome = runEpisode(env, observed, seed);
    const r = outcome.record;
    successes += r.success ? 1 : 0;
    out.push({ index: i, seed, success: r.success, groundTruthSuccess: r.groundTruthSuccess, steps: r.steps.length, predictedSuccess: observed.first, outcome });
    opts.onEpisode?.(i + 1, successes);
  }
  return { episodes: out, policyMsPerStep: observed.calls > 0 ? observed.ms / observed.calls : 0 };
}

/** Episodes with a first-step prediction, binned into `bins` equal-width bins over [0, 1]. */
export function calibrationTable(episodes: readonly Pick<EvalEpisode, 'success' | 'predictedSuccess'>[], bins = CALIBRATION_BINS): CalibrationBin[] {
  const predicted = episodes.filter((e) => e.predictedSuccess !== null);
  if (predicted.length === 0) return [];
  return Array.from({ length: bins }, (_, b) => {
    const lo = b / bins;
    const hi = (b + 1) / bins;
    const inBin = predicted.filter((e) => {
      const p = e.predictedSuccess!;
      return p >= lo && (b === bins - 1 ? p <= hi : p < hi);
    });
    const n = inBin.length;
    const wins = inBin.filter((e) => e.success).length;
    return {
      lo,
      hi,
      episodes: n,
      mean_predicted: n > 0 ? inBin.reduce((s, e) => s + e.predictedSuccess!, 0) / n : null,
      realized: n > 0 ? wins / n : null,
      realized_ci95: n > 0 ? wilsonInterval(wins, n) : null,
    };
  });
}

/** With `byObject`, success by object too (OutcomeBreakdown.by_object): for an imported set, whose objects share one family. */
export function summarizeEvaluation(episodes: readonly EvalEpisode[], policyMsPerStep: number, { byObject = false }: { byObject?: boolean } = {}): EvalSummary {
  const n = episodes.length;
  const successes = episodes.filter((e) => e.success).length;
  return {
    episodes: n,
    successes,
    success_rate: n > 0 ? successes / n : 0,
    success_ci95: wilsonInterval(successes, n),
    ground_truth_successes: episodes.filter((e) => e.groundTruthSuccess).length,
    mean_steps: n > 0 ? episodes.reduce((s, e) => s + e.steps, 0) / n : 0,
    detector: detectorCounts(episodes),
    policy_ms_per_step: policyMsPerStep,
    ...outcomeBreakdown(episodes.map((e) => e.outcome.finalInfo), { byObject }),
    calibration: calibrationTable(episodes),
  };
}
