/**
 * `DqnConfig`: every hyperparameter of the Q-learning core, one line of doc
 * each with units, Dopamine style. The defaults follow Quillen et al. 2018's
 * simulated grasping comparison where it states them (Adam 1e-3, Huber, target
 * update every 50 steps, ε to 0.05 over 100k steps) and CleanRL's dqn.py
 * otherwise (γ 0.99: Quillen's 0.9 suits their 15-step grasps, so the grasping
 * agent sets it).
 *
 * `resolveDqnConfig(partial)` fills defaults, validates, and freezes; a bad
 * value is a one-line `ConfigError` naming the field.
 */
import { z } from 'zod';

/** A config value that does not validate; the message names the field. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const unit = z.number().min(0).max(1);
const schedule = z.enum(['constant', 'linear', 'exponential', 'cosine']);

export const DqnConfigSchema = z
  .strictObject({
    /** Discount per env step, in [0, 1]. */
    gamma: unit.default(0.99),
    /** Steps summed in the n-step return (1 = one-step Q-learning). */
    nStep: z.number().int().min(1).max(100).default(1),
    /** Replay capacity in frame slots (an episode of L steps uses L + 1: one per step plus its final frame). */
    replayCapacity: z.number().int().min(2).default(100_000),
    /** Transitions per gradient step. */
    batchSize: z.number().int().min(1).default(32),
    /** Env steps collected before the first gradient step. */
    learningStarts: z.number().int().min(0).default(1_000),
    /** Env steps per gradient step. */
    trainFrequency: z.number().int().min(1).default(1),
    /** Lagged target networks (Mnih et al. 2015); false bootstraps from the online net itself. */
    targetNetworks: z.boolean().default(true),
    /** Gradient steps between target-network updates θ' ← θ. */
    targetUpdatePeriod: z.number().int().min(1).default(50),
    /** Target update weight: 1 = hard copy, τ < 1 = Polyak averaging θ' ← τθ + (1−τ)θ' each period. */
    targetUpdateTau: z.number().gt(0).max(1).default(1),
    /** Double Q-learning: the online net picks argmax a', the target net evaluates it (van Hasselt et al. 2016). */
    doubleQ: z.boolean().default(true),
    /**
     * Clipped double Q (Fujimoto et al. 2018; QT-Opt): the TD target takes the min over two
     * delayed target nets, which lag the target net as in tf_agents' QT-Opt agent
     * (delayed₂ ← delayed₁ ← θ', every delayedTargetUpdatePeriod steps). Needs targetNetworks.
     */
    clippedDoubleQ: z.boolean().default(false),
    /** Gradient steps between updates of the two delayed target nets (clipped double Q only; tf_agents: 5). */
    delayedTargetUpdatePeriod: z.number().int().min(1).default(5),
    /** TD loss: huber, mse, or log (sigmoid cross-entropy, for Q in [0, 1] as QT-Opt). */
    loss: z.enum(['huber', 'mse', 'log']).default('huber'),
    /** Huber threshold δ, in Q units: quadratic below, linear above. */
    huberDelta: z.number().positive().default(1),
    /** Clip gradients to this global L2 norm; null = no clipping. */
    maxGradNorm: z.number().positive().nullable().default(10),
    /** Adam learning rate at learner step 0. */
    learningRate: z.number().positive().default(1e-3),
    /** Learning-rate schedule over learner steps. */
    lrSchedule: schedule.exclude(['exponential']).default('constant'),
    /** Learning rate at the end of the schedule (linear, cosine). */
    lrEnd: z.number().min(0).default(1e-4),
    /** Learner steps over which the learning rate moves from learningRate to lrEnd. */
    lrDecaySteps: z.number().int().min(0).default(100_000),
    /** Adam β1 (first-moment decay). */
    adamBeta1: z.number().min(0).lt(1).default(0.9),
    /** Adam β2 (second-moment decay). */
    adamBeta2: z.number().min(0).lt(1).default(0.999),
    /** Adam ε added to the root of the second moment. */
    adamEpsilon: z.number().positive().default(1e-7),
    /** ε-greedy schedule over env steps. */
    epsilonSchedule: schedule.exclude(['cosine']).default('linear'),
    /** ε at env step 0, in [0, 1]. */
    epsilonStart: unit.default(1),
    /** ε after epsilonDecaySteps, in [0, 1] (> 0 for the exponential schedule). */
    epsilonEnd: unit.default(0.05),
    /** Env steps over which ε moves from epsilonStart to epsilonEnd. */
    epsilonDecaySteps: z.number().int().min(0).default(100_000),
    /** Prioritized replay (Schaul et al. 2016, proportional variant). */
    prioritized: z.boolean().default(false),
    /** PER priority exponent α: P(i) ∝ p_i^α (0 = uniform). */
    priorityAlpha: z.number().min(0).max(1).default(0.6),
    /** PER importance-weight exponent β at learner step 0, annealed linearly to 1. */
    priorityBetaStart: unit.default(0.4),
    /** Learner steps over which β reaches 1. */
    priorityBetaSteps: z.number().int().min(0).default(100_000),
    /** PER ε added to |δ| so that no transition has zero priority. */
    priorityEpsilon: z.number().positive().default(1e-6),
    /** Seed for everything random in a run (replay sampling, ε-greedy, network init). */
    seed: z.number().int().default(0),
  })
  .superRefine((c, ctx) => {
    if (c.epsilonSchedule === 'exponential' && c.epsilonEnd <= 0) {
      ctx.addIssue({ code: 'custom', path: ['epsilonEnd'], message: 'must be > 0 for the exponential schedule' });
    }
    if (c.replayCapacity <= c.nStep + 1) {
      ctx.addIssue({ code: 'custom', path: ['replayCapacity'], message: `must exceed nStep + 1 (${c.nStep + 1})` });
    }
    if (!c.targetNetworks) {
      // Each of these needs a lagged net; without one it would silently mean something else.
      if (c.clippedDoubleQ) ctx.addIssue({ code: 'custom', path: ['clippedDoubleQ'], message: 'needs targetNetworks (the min is over two lagged target nets)' });
      if (c.doubleQ) ctx.addIssue({ code: 'custom', path: ['doubleQ'], message: 'needs targetNetworks (without one the online net both selects and evaluates: plain max)' });
      if (c.targetUpdateTau !== 1) ctx.addIssue({ code: 'custom', path: ['targetUpdateTau'], message: 'has no effect without targetNetworks' });
    }
  });

export type DqnConfig = Readonly<z.output<typeof DqnConfigSchema>>;
export type DqnConfigInput = z.input<typeof DqnConfigSchema>;

/** The first validation issue as `field: message`, for one-line errors. */
export function describeIssues(error: z.ZodError): string {
  const issue = error.issues[0];
  const path = issue.path.length ? issue.path.join('.') : '(root)';
  if (issue.code === 'unrecognized_keys') return `${issue.path.length ? `${path}: ` : ''}unknown key ${issue.keys.join(', ')}`;
  return `${path}: ${issue.message}`;
}

/** Fill defaults, validate, freeze. `source` prefixes errors (e.g. a file path). */
export function resolveDqnConfig(partial: unknown = {}, source = 'dqn config'): DqnConfig {
  const result = DqnConfigSchema.safeParse(partial);
  if (!result.success) throw new ConfigError(`${source}: ${describeIssues(result.error)}`);
  return Object.freeze(result.data);
}

/** The defaults, frozen. */
export const DQN_DEFAULTS: DqnConfig = resolveDqnConfig({});
