/**
 * `pincer bench qtopt` (flags in bench-qtopt.ts). Medians of wall and CPU
 * milliseconds after warm-up (src/cli/bench-measure.ts); CPU time moves far
 * less than wall time on a shared machine, so both are printed, with the load.
 *
 * - policy: CemPolicy.act on one observation (encode once, CEM's iterations
 *   through the head, read back), no exploration;
 * - learner: QtOptLearner.step on a batch sampled from a replay of random
 *   20-step episodes, split into the Bellman targets alone (the target chain's
 *   encoders and CEM on the next images) and the whole step.
 */
import * as tf from '@tensorflow/tfjs';
import { actionSpace, type Observation, type StepInfo } from '../../env/index.js';
import { bellmanTargets, CemPolicy, DrawnBatches, imagesTensor, QtOptLearner, qtoptReplayConfig, readConfigFile, resolveQtOptConfig, sceneLookup, type QtOptConfig } from '../../qtopt/node.js';
import { Rng } from '../../random/index.js';
import { defaultScene } from '../../scene/index.js';
import { ConfigError, ReplayBuffer, type ReplayBatch } from '../../rl/index.js';
import { describeConvs, initBackend, nativeCoreState, nativeKernelsInUse, nativeVectorLanes } from '../../tf/node.js';
import { medianTime, round, trackLoad, type Clock } from '../bench-measure.js';
import { UsageError } from '../errors.js';
import { emit, log, type OutputOptions } from '../io.js';

export interface BenchQtOptOptions extends OutputOptions {
  config?: string;
  iters: number;
  warmup: number;
  seed: number;
  threads?: number;
  episodeSteps?: number;
}

/** Random episodes in the benchmark's replay. */
const EPISODES = 40;
/** Their steps unless told: a full bin.json episode. */
const EPISODE_STEPS = 20;

export function readConfig(path: string | undefined): QtOptConfig {
  if (!path) return resolveQtOptConfig({});
  let json: unknown;
  try {
    json = readConfigFile(path);
  } catch (err) {
    throw new UsageError(`--config ${(err as Error).message}`);
  }
  try {
    const config = resolveQtOptConfig(json, path);
    if (!config.network.lookup) return config;
    // A bench has no scene: a lookup reads through the default scene's camera, where config leaves it open.
    const file = json as { network: Record<string, unknown> };
    return resolveQtOptConfig({ ...file, network: { ...file.network, lookup: sceneLookup(config.network, defaultScene()) } }, path);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

function randomReplay(config: QtOptConfig, rng: Rng, episodeSteps: number): ReplayBuffer {
  const { imageHeight: h, imageWidth: w, imageChannels: c, stateDim, actionDim } = config.network;
  const replay = new ReplayBuffer({ ...qtoptReplayConfig(config), capacity: EPISODES * (episodeSteps + 1) });
  const obs = () => ({ image: Uint8Array.from({ length: h * w * c }, () => rng.int(0, 255)), vector: Array.from({ length: stateDim }, () => rng.range(0, 0.2)) });
  for (let e = 0; e < EPISODES; e++) {
    for (let t = 0; t < episodeSteps; t++) {
      const last = t === episodeSteps - 1;
      const action = Array.from({ length: actionDim }, () => rng.range(-1, 1));
      replay.add(obs(), action, last && rng.bernoulli(0.3) ? 1 : 0, last, false, last ? obs() : undefined);
    }
  }
  return replay;
}

/** Timings of QtOptLearner.step on a random replay: the Bellman targets alone, and the whole step. */
export interface LearnerTimes {
  targets: Clock;
  gradient: Clock;
  /** Tensors left behind by the timed steps. */
  leaks: number;
  /** One more learner step, as timed (for timing beside another step). */
  learn: () => Promise<void>;
  batchSize: number;
  valueNets: number;
  /** Share of the sampled rows whose target bootstraps (d > 0); the others cost no network call. */
  bootstrapShare: number;
  /** Share of the timed steps whose targets the Bellman updater computed during earlier steps. */
  aheadShare: number;
  /** Mean milliseconds a timed step waited for the updater's targets (its part of the step's path). */
  updaterWaitMs: number;
  /**
   * Of this thread's kernel calls with helpers during the steps (warm-up included), the share that ran
   * on this thread alone because the updater held a core; null without helpers or native kernels.
   */
  aloneShare: number | null;
}

/**
 * Time the Bellman targets (the target chain's encoders and CEM on the next
 * images) and the whole learner step, on batches from a replay of random episodes.
 * Also used by `pincer bench train` for its QT-Opt step.
 */
export async function learnerTimes(
  config: QtOptConfig,
  learner: QtOptLearner,
  rng: Rng,
  seed: number,
  measure: (run: () => void | Promise<void>) => Promise<Clock>,
  episodeSteps = EPISODE_STEPS,
): Promise<LearnerTimes> {
  const { imageHeight: h, imageWidth: w, imageChannels: c, stateDim } = config.network;
  const replay = randomReplay(config, rng, episodeSteps);
  const batch: ReplayBatch = replay.createBatch(config.replay.batchSize);
  const n = batch.size;
  const settings = { argmax: config.bellman.argmax, randomActions: config.bellman.randomActions, cem: config.cem, ignoredActions: [] };
  const cemRng = new Rng(seed + 2);
  let rows = 0;
  let bootstrapping = 0;
  const targets = await measure(() => {
    replay.sample(rng, batch);
    rows += n;
    for (let i = 0; i < n; i++) if (batch.discounts[i]! > 0) bootstrapping++;
    const nextImages = imagesTensor(batch.nextImages, n, h, w, c);
    const nextState = tf.tensor2d(batch.nextVectors.subarray(0, n * stateDim), [n, stateDim]);
    bellmanTargets({ rewards: batch.rewards, discounts: batch.discounts, nextImages, nextState }, learner.bellmanNets, settings, cemRng, actionSpace);
    tf.dispose([nextImages, nextState]);
  });
  // As the train loop draws them offline: with a Bellman updater, batches drawn early, so
  // their targets are computed during the steps before.
  const drawn = new DrawnBatches(() => replay.createBatch(n));
  let step = 0;
  let waitMs = 0;
  const learn = async () => {
    step++;
    const next = drawn.next(learner.batchesAhead, (b) => replay.sample(rng, b));
    waitMs += (await learner.step(next.batch, step, next.upcoming)).updaterWaitMs;
  };
  await learn(); // Adam's moment slots appear on the first update
  const stepTensors = tf.memory().numTensors;
  const aheadBefore = learner.aheadSteps;
  waitMs = 0;
  const cores = nativeCoreState();
  const gradient = await measure(learn);
  const coresAfter = nativeCoreState();
  const stepLeaks = tf.memory().numTensors - stepTensors;
  const timed = step - 1;
  const calls = cores && coresAfter ? coresAfter.shared + coresAfter.alone - cores.shared - cores.alone : 0;
  const aloneShare = cores && coresAfter && calls > 0 ? (coresAfter.alone - cores.alone) / calls : null;
  return {
    targets,
    gradient,
    leaks: stepLeaks,
    learn,
    batchSize: n,
    valueNets: learner.bellmanNets.values.length,
    bootstrapShare: bootstrapping / rows,
    aheadShare: (learner.aheadSteps - aheadBefore) / timed,
    updaterWaitMs: waitMs / timed,
    aloneShare,
  };
}

/** Longer episodes would only grow the random replay (40 episodes of 64×64 frames). */
const MAX_EPISODE_STEPS = 100;

export async function benchQtOpt(opts: BenchQtOptOptions): Promise<void> {
  const episodeSteps = opts.episodeSteps ?? EPISODE_STEPS;
  if (episodeSteps > MAX_EPISODE_STEPS) throw new UsageError(`--episode-steps must be at most ${MAX_EPISODE_STEPS}, got ${episodeSteps}`);
  const config = readConfig(opts.config);
  const load = trackLoad();
  const backend = await initBackend();
  const measure = (run: () => void | Promise<void>): Promise<Clock> => medianTime(opts.iters, opts.warmup, run);
  const rng = new Rng(opts.seed);
  log(opts, `bench qtopt: backend ${backend}, ${opts.warmup} warm-up + ${opts.iters} timed iterations each`);
  const learner = new QtOptLearner(config, opts.seed);
  const { imageHeight: h, imageWidth: w, imageChannels: c } = config.network;

  const policy = new CemPolicy(learner.acting, config);
  policy.reset(new Rng(opts.seed + 1));
  const observation: Observation = { image: Uint8Array.from({ length: h * w * c }, () => rng.int(0, 255)), imageWidth: w, imageHeight: h, aperture: 0.08, closed: false, height: 0.12, x: 0.02, y: -0.03, yaw: 0.4 };
  const info = { step: 0, objectIds: [] } as unknown as StepInfo;
  const policyTensors = tf.memory().numTensors;
  const act = await measure(() => void policy.act(observation, info));
  const policyLeaks = tf.memory().numTensors - policyTensors;

  const threads = opts.threads ?? config.train.learnerThreads;
  await learner.setThreads(threads);
  const { targets, gradient, leaks: stepLeaks, batchSize: n, valueNets, bootstrapShare, aheadShare, updaterWaitMs, aloneShare } = await learnerTimes(config, learner, rng, opts.seed, measure, episodeSteps);
  const params = learner.online.paramCount;
  await learner.setThreads(1);
  learner.dispose();

  emit(opts, {
    backend,
    native_conv_kernels: nativeKernelsInUse(),
    native_vector_lanes: nativeVectorLanes(),
    params,
    image: `${w}x${h}x${c}`,
    convs: describeConvs(config.network.convs),
    cem: `${config.cem.samples}/${config.cem.elites}/${config.cem.iterations}`,
    policy_cem: `${policy.search.samples}/${policy.search.elites}/${policy.search.iterations}`,
    bellman_argmax: config.bellman.argmax,
    // Which net picks a*: the target net (tf_agents) or the first delayed net (QT-Opt's paper).
    bellman_argmax_net: config.bellman.argmaxNet,
    value_nets: valueNets,
    batch: n,
    episode_steps: episodeSteps,
    n_step: config.bellman.nStep,
    bootstrap_share: round(bootstrapShare, 3),
    iters: opts.iters,
    warmup: opts.warmup,
    policy_ms_per_step: round(act.wall),
    policy_cpu_ms_per_step: round(act.cpu),
    bellman_targets_ms: round(targets.wall),
    bellman_targets_cpu_ms: round(targets.cpu),
    learner_threads: threads,
    bellman_updater_share: round(aheadShare, 3),
    bellman_updater_wait_ms: round(updaterWaitMs),
    // This thread's kernel calls that left their helper idle while the updater held a core.
    kernel_calls_alone_share: aloneShare === null ? null : round(aloneShare, 3),
    learner_step_ms: round(gradient.wall),
    learner_step_cpu_ms: round(gradient.cpu),
    learner_steps_per_s: round(1000 / gradient.wall, 2),
    tensors_leaked: policyLeaks + stepLeaks,
    ...load.end(),
  });
}
