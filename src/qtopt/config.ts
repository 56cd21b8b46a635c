/**
 * `QtOptConfig`: every hyperparameter of the QT-Opt grasping agent in one typed,
 * strict config, one line of doc per field with its units and the source of
 * its default (Dopamine style: one place sets them all).
 *
 * Sources named below:
 * - QT-Opt: Kalashnikov et al. 2018 and tensor2robot research/qtopt (CEM 64/6/2,
 *   clipped double Q over two lagged target nets, log loss on a sigmoid Q, batch 32).
 * - tf_agents: agents/qtopt/qtopt_agent.py (a target net hard-copied from the online
 *   net, two delayed nets shifted on their own periods, CEM variance floor 1e-4).
 * - Quillen: Quillen et al. 2018, simulated grasping with deep Q-learning (64×64
 *   images, γ 0.9, Adam 1e-3, target every 50 steps, Bellman max over 16 random
 *   actions, ε → 0.05, CEM starting at dz = −1 with std 0.5, random policy dz = −1
 *   with probability 0.9).
 * - measured: figures from this machine (docs/benchmarks.md, "QT-Opt agent").
 *
 * Step counts: "gradient steps" are learner updates; "env steps" are actions taken
 * in an env. ε counts env steps; the learning rate, target updates, PER β, weight
 * syncs, evaluation and checkpoints count gradient steps.
 *
 * `resolveQtOptConfig(partial, source)` fills defaults, validates (field by field,
 * then across sections), and freezes; a bad value is a one-line `ConfigError`
 * naming the field, e.g. `run/config.json: bellman.clippedDoubleQ: needs targetNetworks`.
 */
import { z } from 'zod';
import { ACTION_DIM, ACTION_NAMES } from '../env/index.js';
import { cameraClipRows } from '../render/index.js';
import { ConfigError, describeIssues, replayConfig, type ReplayConfig } from '../rl/index.js';
import type { SceneConfig } from '../scene/index.js';
import { STATE_SCALE } from './inputs.js';

const positiveInt = z.number().int().min(1);
const unit = z.number().min(0).max(1);

const ConvLayerSchema = z.strictObject({
  /** Output channels. */
  filters: positiveInt,
  /** Square kernel side, px. */
  kernelSize: positiveInt,
  /** Stride, px ('same' padding). */
  stride: positiveInt,
  /** Max-pool window and stride after the ReLU, px; absent = none. */
  pool: positiveInt.optional(),
});

/**
 * The Q-network (src/tf's QNetConfig). Default: 64×64 RGB (Quillen) through
 * 16@5×5/2, 32@3×3/2, 32@3×3/2 → 2048 features, state and action joined after the
 * encoder, head 64 → 1 (a sigmoid Q). Against REFERENCE_QNET (32 filters in the
 * first conv) the first layer is halved: measured 60 ms vs 99 ms per train step at
 * batch 32 on wasm (load 1.3), so a 2-hour budget buys ~1.6× the gradient steps
 * for 4% fewer parameters (150,785 vs 156,609 without the state input).
 */
export const NetworkSchema = z.strictObject({
  /** Input image height, px (the scene camera's). */
  imageHeight: positiveInt.default(64),
  /** Input image width, px. */
  imageWidth: positiveInt.default(64),
  /** Image channels (3: RGB). */
  imageChannels: positiveInt.default(3),
  /** Convolution stack, ReLU after each. */
  convs: z
    .array(ConvLayerSchema)
    .min(1)
    .default([
      { filters: 16, kernelSize: 5, stride: 2 },
      { filters: 32, kernelSize: 3, stride: 2 },
      { filters: 32, kernelSize: 3, stride: 2 },
    ]),
  /**
   * Gripper-state inputs, the first stateDim of env's STATE_NAMES: 3 = [aperture m, closed 0/1,
   * height m]; 6 adds the palm's own x, y (m, bin frame) and yaw (rad), as a robot knows its pose
   * from its encoders, so the net need not find the gripper in the image (needs datasets collected
   * with them); 0 = none. Metres enter in decimetres (inputs.ts STATE_SCALE).
   */
  stateDim: z.union([z.literal(0), z.literal(3), z.literal(6)]).default(3),
  /** Action inputs A: must be ACTION_DIM (6: dx, dy, dz, dyaw, close, terminate). */
  actionDim: positiveInt.default(ACTION_DIM),
  /** Width of the action branch's hidden layer. */
  actionUnits: positiveInt.default(64),
  /** Width of the head's hidden layer. */
  headUnits: positiveInt.default(64),
  /** What the head reads of the last conv map: 'flatten', 'keypoints' (spatial softmax, x and y per channel), 'both', or 'max' (each channel's maximum) (src/tf qnet.ts). */
  features: z.enum(['flatten', 'keypoints', 'both', 'max']).default('flatten'),
  /** Width of the spatial head (an OR over the conv map's cells of "graspable here, and this action gets there"); 0 = none; needs keypoints. */
  spatialUnits: z.number().int().min(0).default(0),
  /**
   * Read the conv maps where each action takes the gripper (src/tf qnet.ts QNetConfig.lookup):
   * the bin floor below the palm's x, y plus the move's dx, dy, through the scene's camera.
   * Absent = no lookup. Needs stateDim 6. `pincer train` fills camera, moveScale and
   * positionUnit from the scene and the state's input scale where they are null.
   */
  lookup: z
    .strictObject({
      /** Channels K each sampled map is projected to before sampling. */
      channels: positiveInt.default(8),
      /** Conv layers (indices into convs) whose outputs are sampled; null = every layer. */
      layers: z.array(z.number().int().min(0)).min(1).nullable().default(null),
      /** The camera's world → clip rows x, y, w (12 numbers, render's cameraClipRows); null = the scene's. */
      camera: z.array(z.number()).length(12).nullable().default(null),
      /** Metres per unit of dx and dy; null = the scene's action.maxTranslationXY. */
      moveScale: z.number().positive().nullable().default(null),
      /** Metres per unit of the network's x and y inputs; null = 1 / STATE_SCALE. */
      positionUnit: z.number().positive().nullable().default(null),
      /**
       * Floor points read besides the one below the palm, [along, across] in m in the gripper's frame after the
       * move (along = the axis the fingers close on): where the fingers meet the object says whether a grasp is
       * centred and square to its faces, which the point below the palm, blind to yaw, cannot. [] = none.
       */
      points: z.array(z.tuple([z.number().min(-1).max(1), z.number().min(-1).max(1)])).max(16).default([]),
      /** Radians per unit of dyaw, placing the points; null = the scene's action.maxYaw (filled only with points). */
      yawScale: z.number().positive().nullable().default(null),
    })
    .optional(),
  /**
   * Action dims the network sees as 0 (inputs.ts actionsTensor): the ones the env
   * ignores. `pincer train` sets ['dz', 'close', 'terminate'] for a scene with the height hack unless the
   * config file sets this.
   */
  ignoredActions: z.array(z.enum(ACTION_NAMES)).default([]),
});

/** The CEM sampler (QT-Opt's 64/6/2; tf_agents' variance floor; Quillen's dz = −1 start). */
const CemSchema = z.strictObject({
  /** Samples per iteration N (QT-Opt 64). */
  samples: positiveInt.default(64),
  /** Elites refitted to M, ≤ samples (QT-Opt 6). */
  elites: positiveInt.default(6),
  /** Iterations (QT-Opt 2). */
  iterations: positiveInt.default(2),
  /** Initial mean per action dim [dx, dy, dz, dyaw, close, terminate], action units: downward first (Quillen's dz = −1). */
  initialMean: z.array(z.number().min(-1).max(1)).default([0, 0, -1, 0, 0, 0]),
  /** Initial standard deviation per action dim, action units (Quillen 0.5). */
  initialStd: z.array(z.number().positive()).default([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]),
  /** Floor on each refitted variance, action units² (tf_agents 1e-4). */
  minVariance: z.number().min(0).default(1e-4),
  /**
   * The CEM policy's own samples, elites and iterations; null = the Bellman targets' (the fields
   * above). Acting scores one image, so it can afford a harder search, but a harder search also
   * finds more of the Q-function's overestimated actions. Measured (docs/benchmarks.md, "A harder
   * CEM search when acting"), 256/16/4 against 64/6/2 on the same validation episodes: the shipped
   * bin-easy network 0.234 against 0.194, and a checkpoint of a 30k-episode run 0.062 against 0.150
   * (its grasps came down on objects' tops: 317 of 500 blocked). So the default stays QT-Opt's.
   */
  policySamples: positiveInt.nullable().default(null),
  /** The CEM policy's elites, ≤ its samples; null = cem.elites. */
  policyElites: positiveInt.nullable().default(null),
  /** The CEM policy's iterations; null = cem.iterations. */
  policyIterations: positiveInt.nullable().default(null),
});

/**
 * The Bellman target y = R + γ^k · min(Q̄₁, Q̄₂)(s′, a*) (bellman.ts). A step penalty
 * is the scene's (scene.episode.stepPenalty): it reaches R through the replay's rewards.
 */
const BellmanSchema = z.strictObject({
  /** Discount per env step (Quillen 0.9: 20-step grasps; the reward comes at the end). */
  gamma: unit.default(0.9),
  /** Steps in the n-step return (QT-Opt and tf_agents: 1). */
  nStep: z.number().int().min(1).max(20).default(1),
  /** Clipped double Q: the value is the min over two delayed target nets (QT-Opt; tf_agents). Needs targetNetworks. */
  clippedDoubleQ: z.boolean().default(true),
  /** Lagged target nets; false lets the online net pick and evaluate a* (ablation). */
  targetNetworks: z.boolean().default(true),
  /** Gradient steps between target ← online updates (Quillen 50). */
  targetUpdatePeriod: positiveInt.default(50),
  /** Target update weight τ: 1 = hard copy (tf_agents' default), < 1 = Polyak averaging. */
  targetUpdateTau: z.number().gt(0).max(1).default(1),
  /** Gradient steps between delayed₁ ← target copies (tf_agents has its own period; 50 here, as the target's). */
  delayedUpdatePeriod: positiveInt.default(50),
  /** Gradient steps between delayed₂ ← delayed₁ copies. */
  delayed2UpdatePeriod: positiveInt.default(50),
  /**
   * Which net picks a*: 'delayed' (QT-Opt's paper: Q̄₁, the first of the two value nets, whose encoder
   * then serves both: two encoders per next image) or 'target' (tf_agents: the target net, hard-copied
   * from the online net, so the next images go through three encoders: θ̄, θ̄₁, θ̄₂). 'delayed' needs
   * clippedDoubleQ. null = 'delayed' with clippedDoubleQ, else 'target' (one value net: the two agree).
   */
  argmaxNet: z.enum(['target', 'delayed']).nullable().default(null),
  /** How a* is found: 'cem' (QT-Opt) or 'random' (the max over randomActions uniform actions; Quillen's ablation). */
  argmax: z.enum(['cem', 'random']).default('cem'),
  /** Uniform actions scored when argmax is 'random' (Quillen 16). */
  randomActions: positiveInt.default(16),
  /**
   * The data's own action at s′ is a candidate for a* beside the search's: a target is never below the
   * value of continuing as the data did. Offline, where Q may peak only at the data's exact actions
   * (a reach's zero move before it grasps) that CEM's samples never meet, this lets the grasp's value
   * reach the steps before it.
   */
  dataAction: z.boolean().default(false),
});

/** Adam with a learning-rate schedule, and the loss: TD, plus an optional conservative penalty. */
const OptimizerSchema = z.strictObject({
  /** Adam step size at gradient step 0 (Quillen 1e-3; QT-Opt's 1e-4 was for 10× longer runs). */
  learningRate: z.number().positive().default(1e-3),
  /** Schedule of the step size over gradient steps. */
  lrSchedule: z.enum(['constant', 'linear', 'cosine']).default('constant'),
  /** Step size at the schedule's end (linear, cosine). */
  lrEnd: z.number().min(0).default(1e-4),
  /** Gradient steps over which the step size moves to lrEnd. */
  lrDecaySteps: z.number().int().min(0).default(50_000),
  /** Adam β1 (QT-Opt's momentum 0.9). */
  beta1: z.number().min(0).lt(1).default(0.9),
  /** Adam β2. */
  beta2: z.number().min(0).lt(1).default(0.999),
  /** Adam ε added to √v̂. */
  epsilon: z.number().positive().default(1e-7),
  /** TD loss: 'log' (cross-entropy on the sigmoid Q, QT-Opt) or 'huber' on Q (tf_agents, Quillen). */
  loss: z.enum(['log', 'huber']).default('log'),
  /** Huber threshold δ, Q units. */
  huberDelta: z.number().positive().default(1),
  /** Clip gradients to this global L2 norm; null = none (10, as the DQN config). */
  maxGradNorm: z.number().positive().nullable().default(10),
  /**
   * α of a conservative penalty on the logits (CQL(H), Kumar et al. 2020): α · mean over the batch of
   * log Σ exp logit(s, a) over the data's action and conservativeActions uniform ones, minus the data
   * action's logit. It lowers what CEM would find among actions the data never tried (offline Q-learning's
   * overestimation; the grasps on objects' tops of docs/benchmarks.md). 0 = none (QT-Opt has none).
   */
  conservativeWeight: z.number().min(0).default(0),
  /** Uniform actions per transition for the conservative penalty's log-sum-exp (CQL 10; Quillen's 16 here). */
  conservativeActions: z.number().int().min(0).default(16),
  /**
   * More actions per transition for the penalty: the data's own action with dx, dy from another transition
   * of the batch (the approach check's contrast). Uniform actions differ from the data's in their size and
   * in close and terminate, which the head tells apart without the image; these differ only in where the
   * move leads from this image. 0 = none.
   */
  conservativeContrasts: z.number().int().min(0).default(0),
  /**
   * Decay d of an average of the online weights taken after every gradient step, θₐ ← d·θₐ + (1 − d)·θ
   * (Polyak–Ruppert averaging, as an exponential moving average over about 1 / (1 − d) steps). The averaged
   * net is the one that acts: validation, the checkpoints' weights, the collectors; the online net goes on
   * learning and picking targets. Tried because neighbouring checkpoints of one run act very differently; on the
   * main scene's round 1 it acted no better than the online net (docs/benchmarks.md, "An averaged acting net").
   * 0 = none.
   */
  averageDecay: z.number().min(0).lt(1).default(0),
});

/** The replay memory (src/rl's ReplayBuffer). */
const ReplaySchema = z.strictObject({
  /** Frame slots; an episode of L steps uses L + 1. 100k × 64·64·3 B ≈ 1.2 GiB. */
  capacity: z.number().int().min(2).default(100_000),
  /** Transitions per gradient step (QT-Opt 32). */
  batchSize: positiveInt.default(32),
  /** Random-shift augmentation of sampled images and next images, px in each direction (DrQ 4 at 84 px); 0 = none. */
  imageShift: z.number().int().min(0).max(16).default(0),
  /**
   * Std of Gaussian noise added to each sampled action's dx, dy, dz and dyaw when Q(s, a) is trained,
   * in the action's units ([-1, 1], 0.1 = 5 mm of a 5 cm step), clipped to the box; 0 = none. Keeps Q
   * smooth around the data's exact actions, where CEM's Bellman max can find it.
   */
  actionJitter: z.number().min(0).max(1).default(0),
  /** Proportional prioritized replay (Schaul et al. 2016); QT-Opt samples uniformly. */
  prioritized: z.boolean().default(false),
  /** PER exponent α. */
  priorityAlpha: unit.default(0.6),
  /** PER importance exponent β at gradient step 0, annealed linearly to 1. */
  priorityBetaStart: unit.default(0.4),
  /** Gradient steps over which β reaches 1. */
  priorityBetaSteps: z.number().int().min(0).default(50_000),
  /** PER ε added to |δ|. */
  priorityEpsilon: z.number().positive().default(1e-6),
});

/** Exploration of the online collectors' CEM policy, and the bootstrap random policy. */
const ExplorationSchema = z.strictObject({
  /** ε-random actions at env step 0 of online collection. */
  epsilonStart: unit.default(0.5),
  /** ε after epsilonDecaySteps (Quillen 0.05). */
  epsilonEnd: unit.default(0.05),
  /** Env steps over which ε decays linearly (Quillen 100k for 1M grasps; scaled to this budget). */
  epsilonDecaySteps: z.number().int().min(0).default(40_000),
  /** Std of Gaussian noise added to CEM's choice, action units (then clipped to the box); 0 = none. */
  noiseStd: z.number().min(0).default(0.1),
  /** Probability that a random action moves straight down, dz = −1 (Quillen 0.9). */
  randomDownProbability: unit.default(0.9),
  /** Probability that a random action terminates (src/policies' random baseline: 0.05, ~20 steps). */
  randomTerminateProbability: unit.default(0.05),
  /**
   * Probability that a random action closes the fingers; otherwise it opens them. Every
   * episode ends with the env's own grasp, so random data needs no closing to grasp; a
   * uniform close (half the steps) shut the fingers mid-descent in 193 of 213 random bin-easy
   * episodes, which then failed for that reason alone. But closing must still appear in the
   * data: with none, Q of close = +1 is never trained and CEM picked it (an offline run on
   * such data predicted 0.97 at the first step and succeeded 0 of 50; docs/benchmarks.md).
   * 0.05 keeps 66% of 8-step random episodes open to the end.
   */
  randomCloseProbability: unit.default(0.05),
});

/** The run: data sources, step budgets, collectors, evaluation and checkpoints (read by train.ts). */
const TrainSchema = z.strictObject({
  /** Seed for network init, replay sampling, CEM and exploration. */
  seed: z.number().int().default(0),
  /** LeRobot datasets (folders) loaded into the replay before training. */
  datasets: z.array(z.string().min(1)).default([]),
  /**
   * A checkpoint folder, or a run folder (its best checkpoint), whose network starts the run:
   * the online net and every target net are copied from it, Adam starts fresh, and the run
   * counts gradient steps from 0 (fine-tuning, e.g. online from an offline policy). null = a
   * fresh network from the seed. Its network config must equal this run's.
   */
  init: z.string().min(1).nullable().default(null),
  /** Bootstrap episodes of the scripted grasper with action noise, collected before training. */
  bootstrapScriptedEpisodes: z.number().int().min(0).default(1_000),
  /** Std of the noise on the scripted grasper's actions, action units (so its data holds failures to contrast). */
  bootstrapScriptedNoise: z.number().min(0).default(0.3),
  /** Bootstrap episodes of the random policy (randomDownProbability, randomCloseProbability, randomTerminateProbability). */
  bootstrapRandomEpisodes: z.number().int().min(0).default(1_000),
  /**
   * Bootstrap episodes of the aimed reach (`reach+aim:S`: the reach baseline aimed at a random
   * object's centre plus Gaussian noise of std bootstrapAimSpread), collected after the other two.
   * Its first moves decide its outcome, so its data says which moves lead to a grasp; with one-step
   * targets and a lookup network it trained the first main-scene policy that goes to the objects.
   */
  bootstrapAimedEpisodes: z.number().int().min(0).default(0),
  /** Std of the aimed reach's aim point around the object's centre, m per axis. */
  bootstrapAimSpread: z.number().min(0).default(0.03),
  /**
   * Share of the aimed reach's episodes whose yaw is squared to the aimed object (the scripted
   * grasper's closing yaw, `reach+aim:S+yaw:P`) instead of random, so the data holds both
   * square and skewed grasps at the same offsets. 0 = every yaw random.
   */
  bootstrapAimAlignedYaw: z.number().min(0).max(1).default(0),
  /**
   * Gradient steps on the offline data before online collection starts. Budget (measured): a
   * learner step of the default net costs ~88 ms CPU (`pincer bench qtopt`), so the 30k steps of
   * offline + online take ~45 min of the learner's core, leaving the 2-hour budget room for
   * bootstrap collection, evaluation and a loaded machine.
   */
  offlineSteps: z.number().int().min(0).default(10_000),
  /** Gradient steps during online collection. */
  onlineSteps: z.number().int().min(0).default(20_000),
  /** Transitions in the replay before the first gradient step. */
  learningStarts: positiveInt.default(1_000),
  /** Env steps between gradient-step rounds when collecting inline (collectors 0). */
  trainFrequency: positiveInt.default(1),
  /** Gradient steps per round. */
  gradientSteps: positiveInt.default(1),
  /** Collector processes (0 = inline and deterministic; 1 uses the second core). */
  collectors: z.number().int().min(0).default(1),
  /**
   * Threads each learner step runs on: 2 uses the second core. Used in the offline phase, and
   * online when collecting inline (collectors 0); with collector processes the learner keeps
   * one thread and leaves the other core to them. With pincer's native kernels these are
   * threads inside each kernel, and the result is the same bits as on one thread; without
   * them, tfjs-wasm instances sharing the gradient (src/rl DataParallelLearner), equal to
   * the one-thread update up to float rounding.
   */
  learnerThreads: positiveInt.default(1),
  /**
   * With learnerThreads ≥ 2, the native kernels and target networks: compute the next
   * batches' Bellman targets in a worker thread (QT-Opt's Bellman updater) while this
   * thread takes gradient steps, each on one core, with the same bits. Used where the
   * next batches can be drawn early without changing what is drawn: the offline phase,
   * with uniform replay. Steps whose batch has no bootstrapping row keep both cores on
   * the gradient.
   */
  bellmanUpdater: z.boolean().default(true),
  /** Gradient steps between weight sends to the collectors. */
  weightSyncPeriod: positiveInt.default(200),
  /** Gradient steps between validation evaluations (0 = none). */
  evalPeriod: z.number().int().min(0).default(5_000),
  /** Validation episodes per evaluation. */
  evalEpisodes: positiveInt.default(50),
  /** Gradient steps between checkpoints. */
  checkpointPeriod: positiveInt.default(2_500),
  /** Checkpoints kept besides the best on validation. */
  keepCheckpoints: positiveInt.default(3),
});

export const QtOptConfigSchema = z
  .strictObject({
    network: NetworkSchema.prefault({}),
    cem: CemSchema.prefault({}),
    bellman: BellmanSchema.prefault({}),
    optimizer: OptimizerSchema.prefault({}),
    replay: ReplaySchema.prefault({}),
    exploration: ExplorationSchema.prefault({}),
    train: TrainSchema.prefault({}),
  })
  .superRefine((c, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (c.network.spatialUnits > 0 && (c.network.features === 'flatten' || c.network.features === 'max')) issue(['network', 'spatialUnits'], "needs network.features 'keypoints' or 'both'");
    if (c.network.lookup && c.network.stateDim !== 6) issue(['network', 'lookup'], "needs network.stateDim 6 (the palm's x, y)");
    if (c.network.lookup && c.network.spatialUnits > 0) issue(['network', 'lookup'], 'cannot be combined with network.spatialUnits');
    if (c.network.lookup?.layers?.some((l) => l >= c.network.convs.length)) issue(['network', 'lookup', 'layers'], `must index network.convs (0…${c.network.convs.length - 1})`);
    if (c.network.actionDim !== ACTION_DIM) issue(['network', 'actionDim'], `must be ACTION_DIM (${ACTION_DIM}), the env's action length`);
    if (c.cem.elites > c.cem.samples) issue(['cem', 'elites'], `must be ≤ cem.samples (${c.cem.samples})`);
    const o = c.optimizer;
    if (o.conservativeContrasts > 0 && c.replay.batchSize < 2) issue(['optimizer', 'conservativeContrasts'], 'needs replay.batchSize ≥ 2: another transition to draw from');
    if (o.conservativeWeight > 0 && o.conservativeActions + o.conservativeContrasts === 0) issue(['optimizer', 'conservativeWeight'], 'needs conservativeActions or conservativeContrasts > 0');
    const policy = policyCem(c.cem);
    if (policy.elites > policy.samples) issue(['cem', 'policyElites'], `must be ≤ the policy's samples (${policy.samples})`);
    if (c.cem.initialMean.length !== c.network.actionDim) issue(['cem', 'initialMean'], `needs ${c.network.actionDim} values, one per action dim`);
    if (c.cem.initialStd.length !== c.network.actionDim) issue(['cem', 'initialStd'], `needs ${c.network.actionDim} values, one per action dim`);
    if (c.bellman.clippedDoubleQ && !c.bellman.targetNetworks) issue(['bellman', 'clippedDoubleQ'], 'needs bellman.targetNetworks (the min is over two delayed target nets)');
    if (c.bellman.argmaxNet === 'delayed' && !c.bellman.clippedDoubleQ) issue(['bellman', 'argmaxNet'], "'delayed' needs bellman.clippedDoubleQ (a* from the first of the two delayed nets)");
    if (!c.bellman.targetNetworks && c.bellman.targetUpdateTau !== 1) issue(['bellman', 'targetUpdateTau'], 'needs bellman.targetNetworks (there is no target net to average into)');
    if (c.replay.capacity <= c.bellman.nStep + 1) issue(['replay', 'capacity'], `must exceed bellman.nStep + 1 (${c.bellman.nStep + 1})`);
    if (c.train.learningStarts < c.replay.batchSize) issue(['train', 'learningStarts'], `must be ≥ replay.batchSize (${c.replay.batchSize})`);
    if (c.exploration.epsilonEnd > c.exploration.epsilonStart) issue(['exploration', 'epsilonEnd'], `must be ≤ exploration.epsilonStart (${c.exploration.epsilonStart})`);
  })
  .transform((c) => ({ ...c, bellman: { ...c.bellman, argmaxNet: c.bellman.argmaxNet ?? (c.bellman.clippedDoubleQ ? ('delayed' as const) : ('target' as const)) } }));

export type QtOptConfig = Readonly<z.output<typeof QtOptConfigSchema>>;
export type QtOptConfigInput = z.input<typeof QtOptConfigSchema>;
export type QtOptNetworkConfig = QtOptConfig['network'];

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Fill defaults, validate, freeze. `source` prefixes errors (a file path, or 'qtopt config'). */
export function resolveQtOptConfig(partial: unknown = {}, source = 'qtopt config'): QtOptConfig {
  const result = QtOptConfigSchema.safeParse(partial);
  if (!result.success) throw new ConfigError(`${source}: ${describeIssues(result.error)}`);
  return deepFreeze(result.data);
}

/**
 * A network's lookup with what the scene decides filled in where the config left it null:
 * the camera's clip rows, the move per action unit, the state's position unit, and every
 * conv layer. The network it returns acts in that scene's camera, and carries it.
 */
export function sceneLookup(network: QtOptNetworkConfig, scene: SceneConfig): NonNullable<QtOptNetworkConfig['lookup']> {
  const lookup = network.lookup;
  if (!lookup) throw new Error('sceneLookup: the network has no lookup');
  return {
    channels: lookup.channels,
    layers: lookup.layers ?? network.convs.map((_, i) => i),
    camera: lookup.camera ?? cameraClipRows(scene.camera),
    moveScale: lookup.moveScale ?? scene.action.maxTranslationXY,
    positionUnit: lookup.positionUnit ?? 1 / STATE_SCALE[3]!,
    points: lookup.points,
    yawScale: lookup.yawScale ?? (lookup.points.length > 0 ? scene.action.maxYaw : null),
  };
}

/** The CEM settings the policy acts with: the Bellman targets' cem, with the policy's own samples, elites and iterations where set. */
export function policyCem<C extends z.output<typeof CemSchema>>(cem: C): C {
  return { ...cem, samples: cem.policySamples ?? cem.samples, elites: cem.policyElites ?? cem.elites, iterations: cem.policyIterations ?? cem.iterations };
}

/** The defaults, frozen. */
export const QTOPT_DEFAULTS: QtOptConfig = resolveQtOptConfig({});

/** The replay buffer config a QtOptConfig implies: its images and state, ACTION_DIM continuous actions, γ and n-step. */
export function qtoptReplayConfig(config: QtOptConfig): ReplayConfig {
  const { network: n, replay: r, bellman: b } = config;
  return replayConfig({
    capacity: r.capacity,
    imageShape: [n.imageHeight, n.imageWidth, n.imageChannels],
    vectorDim: n.stateDim,
    action: { kind: 'continuous', dim: n.actionDim },
    gamma: b.gamma,
    nStep: b.nStep,
    prioritized: r.prioritized,
    priorityAlpha: r.priorityAlpha,
    priorityEpsilon: r.priorityEpsilon,
  });
}

/** Canonical JSON: keys sorted at every level, so equal configs serialise equally (and hash equally). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The dotted paths at which two resolved configs differ (`bellman.gamma`,
 * `network.convs`), sorted; arrays compare as a whole. For `--resume` and
 * checkpoint-mismatch messages.
 */
export function configDifferences(a: unknown, b: unknown, prefix = ''): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  if (!isObject(a) || !isObject(b)) return canonicalJson(a) === canonicalJson(b) ? [] : [prefix || '(root)'];
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.flatMap((k) => configDifferences(a[k], b[k], prefix ? `${prefix}.${k}` : k));
}
