/**
 * QT-Opt training, top to bottom (CleanRL style): the run folder and its
 * resolved config, the learner and the replay, offline data (given datasets,
 * or a bootstrap collection: the scripted grasper with action noise, and
 * random actions biased downward with the fingers open), the offline phase, then the online phase
 * with collectors; periodic validation, checkpoints and metrics throughout.
 *
 * Counting: `step` is the gradient step (the learner's clock: learning rate,
 * target updates, weight syncs, evaluation, checkpoints); online env steps
 * count the frames the collectors sent back (ε decays over them). Online,
 * the learner keeps pace with the data: at most train.gradientSteps gradient
 * steps per train.trainFrequency env steps, for any number of collectors.
 *
 * Held-out discipline: collectors and the bootstrap use the 'train' split,
 * periodic evaluation the 'validation' split (splits.ts); nothing here can
 * name 'test', and an offline dataset with test objects is refused.
 *
 * Resume: the newest checkpoint gives the learner back whole (online net,
 * target chain, Adam's moments) and the gradient step; the replay is refilled
 * from the offline data and the run's own episodes/ (every online episode is
 * kept, those after the checkpoint too); metrics after the checkpoint's step
 * are dropped and redone. What is lost is the steps since that checkpoint.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_CAMERA, DatasetReader, DatasetWriter, addEpisode, collect, fillReplay, imageKey, specForScene } from '../data/index.js';
import type { GraspEnv } from '../env/index.js';
import { LIBRARY_VERSION, splitOf } from '../objects/index.js';
import { aimedReachSpec } from '../policies/index.js';
import { Rng, deriveSeed } from '../random/index.js';
import { ConfigError, MetricsWriter, ReplayBuffer, linearSchedule, makeSchedule } from '../rl/node.js';
import type { SceneConfig } from '../scene/index.js';
import type { QNetConfig } from '../tf/index.js';
import { initBackend } from '../tf/node.js';
import { configHash, loadCheckpoint, restoreLearner, saveCheckpoint } from './checkpoint.js';
import { QtOptConfigSchema, qtoptReplayConfig, resolveQtOptConfig, sceneLookup, type QtOptConfig } from './config.js';
import { runEvaluation, summarizeEvaluation, type EvalSummary } from './evaluate.js';
import { DrawnBatches, QtOptLearner } from './learner.js';
import { openLink, weightsOf, type CollectedEpisode, type CollectorLink, type EpisodeRequest } from './link.js';
import { CemPolicy } from './policy.js';
import { RunDir, RunError, checkpointName } from './run.js';
import { createTrainingEnv } from './splits.js';
import { resolveCheckpoint } from './trained-policy.js';

/** Gradient steps between metrics lines. */
const LOG_PERIOD = 10;
/** Online episodes that charts/success_rate averages over. */
const SUCCESS_WINDOW = 100;
/** Independent random streams of a run, all derived from its seed. */
const STREAM = { learner: 1, replay: 2, online: 3, validation: 4, bootstrapScripted: 5, bootstrapRandom: 6, bootstrapAimed: 7 } as const;

/** Everything that fixes a run; written to config.json, compared on --resume. */
export interface RunConfig {
  format: 1;
  scene: SceneConfig;
  qtopt: QtOptConfig;
}

export interface RunConfigInput {
  /** The --config file's JSON: QtOptConfig fields to change. */
  file: unknown;
  /** Where `file` came from, for error messages. */
  source: string;
  scene: SceneConfig;
  seed?: number;
  datasets?: string[];
  /** Total gradient steps: offline steps as configured (capped at this), the rest online. */
  steps?: number;
  collectors?: number;
  /** Starting network: a checkpoint or run folder (train.init). */
  init?: string;
}

/**
 * The fully resolved config of a run. Flags override the file; the network's
 * input size follows the scene's camera unless the file sets it.
 */
export function buildRunConfig(input: RunConfigInput): RunConfig {
  const { file, source, scene } = input;
  if (typeof file !== 'object' || file === null || Array.isArray(file)) throw new ConfigError(`${source}: must be a JSON object`);
  const agent = file as { network?: Record<string, unknown>; train?: Record<string, unknown> };
  // With the height hack the env ignores dz, close and terminate, so the network does too (inputs.ts actionsTensor).
  const ignoredActions = scene.episode.heightHack ? ['dz', 'close', 'terminate'] : [];
  const given = { imageWidth: scene.camera.width, imageHeight: scene.camera.height, ignoredActions, ...(agent.network ?? {}) };
  const sized = resolveQtOptConfig({ ...agent, network: given }, source).network;
  const network = sized.lookup ? { ...given, lookup: sceneLookup(sized, scene) } : given;
  const first = resolveQtOptConfig({ ...agent, network }, source);
  const flags: Record<string, unknown> = {};
  if (input.seed !== undefined) flags.seed = input.seed;
  if (input.datasets !== undefined && input.datasets.length > 0) flags.datasets = input.datasets;
  if (input.collectors !== undefined) flags.collectors = input.collectors;
  if (input.init !== undefined) flags.init = input.init;
  if (input.steps !== undefined) {
    flags.offlineSteps = Math.min(first.train.offlineSteps, input.steps);
    flags.onlineSteps = input.steps - (flags.offlineSteps as number);
  }
  const qtopt = Object.keys(flags).length === 0 ? first : resolveQtOptConfig({ ...agent, network, train: { ...(agent.train ?? {}), ...flags } }, source);
  return { format: 1, scene, qtopt };
}

export interface TrainProgress {
  phase: 'bootstrap' | 'offline' | 'online' | 'done';
  step: number;
  totalSteps: number;
  envSteps: number;
  /** Detected success over the last online episodes (or of the bootstrap so far); null before any. */
  recentSuccess: number | null;
  loss: number | null;
  stepsPerS: number;
  /** Bootstrap episodes collected so far, during the bootstrap phase. */
  bootstrapEpisodes?: number;
}

export interface TrainOptions {
  out: string;
  config: RunConfig;
  resume: boolean;
  onProgress?: (p: TrainProgress) => void;
  /** One-line notes for the log (stderr in the CLI). */
  log?: (line: string) => void;
  /** Aborted (Ctrl-C): the loop stops after the current gradient step and checkpoints it. */
  signal?: AbortSignal;
}

export interface TrainResult {
  dir: string;
  steps: number;
  /** True when stopped by the signal before the configured steps. */
  interrupted: boolean;
  online_env_steps: number;
  online_episodes: number;
  offline: { datasets: string[]; episodes: number; transitions: number; success_rate: number };
  resumed_from_step: number | null;
  best: { step: number; validation_success: number } | null;
  last_validation: EvalSummary | null;
  elapsed_s: number;
}

/** The one config key a resume may change: the online phase's length, so a finished run can train on (--steps). */
const RUN_LENGTH = 'qtopt.train.onlineSteps';

/** The dataset features offline training reads. */
const NEEDED_FEATURES = [imageKey(DEFAULT_CAMERA), 'observation.state', 'action', 'next.reward', 'next.done'];

/**
 * Open an offline dataset for this network, refusing one with other images or
 * features, or with episodes on a held-out split (one line naming the dataset).
 */
function openOfflineDataset(dir: string, config: QtOptConfig): DatasetReader {
  const { imageWidth, imageHeight, stateDim } = config.network;
  const reader = DatasetReader.open(dir, { imageWidth, imageHeight, camera: DEFAULT_CAMERA, features: NEEDED_FEATURES, stateDim });
  for (const entry of reader.entries) {
    const heldOut = entry.split === 'test' || entry.object_ids.some((id) => !id.startsWith('ext:') && splitOf(id) === 'test');
    if (heldOut) throw new RunError(`${dir}: episode ${entry.episode_index} uses test-split objects; training never reads the test split`);
  }
  return reader;
}

/** A saved run config with this build's defaults filled into its qtopt section; as saved when that does not resolve. */
function savedWithDefaults(saved: unknown): unknown {
  if (!saved || typeof saved !== 'object' || !('qtopt' in saved)) return saved;
  const qtopt = QtOptConfigSchema.safeParse(saved.qtopt);
  return qtopt.success ? { ...saved, qtopt: qtopt.data } : saved;
}

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const t0 = performance.now();
  const { config } = opts;
  const { qtopt, scene } = config;
  const t = qtopt.train;
  const log = opts.log ?? (() => {});
  const totalSteps = t.offlineSteps + t.onlineSteps;
  const { imageWidth, imageHeight } = qtopt.network;
  if (scene.camera.width !== imageWidth || scene.camera.height !== imageHeight) {
    throw new ConfigError(`network.imageWidth/imageHeight ${imageWidth}x${imageHeight} do not match the scene's camera ${scene.camera.width}x${scene.camera.height}`);
  }
  for (const dir of t.datasets) openOfflineDataset(dir, qtopt); // a bad dataset fails before anything is written
  await initBackend();
  // So does a bad train.init: its network is loaded, and checked against this run's, first.
  const initCheckpoint = t.init === null ? null : resolveCheckpoint(t.init).checkpoint;
  const init = initCheckpoint === null ? null : loadCheckpoint(initCheckpoint, qtopt.network as QNetConfig);

  // ---- 1. The run folder: config.json first, so a resume can check it ------------------------
  let run: RunDir;
  try {
    run = opts.resume ? RunDir.resume(opts.out, config, { withDefaults: savedWithDefaults, mayChange: [RUN_LENGTH] }) : RunDir.create(opts.out, config);
  } catch (err) {
    init?.net.dispose();
    throw err;
  }
  const hash = configHash(config);
  const checkpoints = run.checkpointSteps();
  const resumedFrom = opts.resume && checkpoints.length > 0 ? checkpoints[checkpoints.length - 1] : null;
  if (run.changed.length > 0) {
    // A finished run trains on with a longer online phase: the schedules count steps from the start, so nothing else moves.
    if (resumedFrom !== null && totalSteps < resumedFrom) {
      init?.net.dispose();
      throw new RunError(`${opts.out} is at gradient step ${resumedFrom}; a run of ${totalSteps} steps would end before it (--steps must be at least ${resumedFrom})`);
    }
    run.writeConfig(config);
    log(`${opts.out}: the online phase is now ${t.onlineSteps} steps (${totalSteps} in all)`);
  }

  // ---- 2. Learner (online net, lagged targets, optimizer) and replay ---------------------------
  const learner = new QtOptLearner(qtopt, deriveSeed(t.seed, STREAM.learner));
  let step = 0;
  if (resumedFrom !== null) {
    // A checkpoint that does not fit the run fails here, before anything in the folder changes.
    try {
      step = (await restoreLearner(run.checkpointDir(resumedFrom), learner)).step;
    } catch (err) {
      learner.dispose();
      throw err;
    }
    log(`resuming from ${run.checkpointDir(step)} (gradient step ${step})`);
  } else if (init !== null) {
    learner.startFrom(init.net);
    log(`starting from ${initCheckpoint} (its gradient step ${init.meta.step})`);
  }
  init?.net.dispose();
  if (opts.resume) run.truncateMetrics(resumedFrom ?? -1);
  const r = qtopt.replay;
  const replay = new ReplayBuffer(qtoptReplayConfig(qtopt));
  // With a Bellman updater the next batches are drawn early (learnStep).
  const drawn = new DrawnBatches(() => replay.createBatch(r.batchSize));
  const beta = linearSchedule(r.priorityBetaStart, 1, r.priorityBetaSteps);
  const epsilon = makeSchedule('linear', qtopt.exploration.epsilonStart, qtopt.exploration.epsilonEnd, qtopt.exploration.epsilonDecaySteps);
  // Re-seeded from the step on resume, so a resumed run samples the same way each time.
  const replayRng = new Rng(deriveSeed(deriveSeed(t.seed, STREAM.replay), step));
  const metrics = new MetricsWriter(run.metricsPath);
  const recent: boolean[] = [];
  let lastLoss: number | null = null;
  // Built at the first evaluation (a holder, since closures assign it).
  const validation: { env: GraspEnv | null } = { env: null };
  let lastValidation: EvalSummary | null = null;
  let best = run.readBest();
  let link: CollectorLink | null = null;
  let episodesWriter: DatasetWriter | null = null;
  let onlineEnvSteps = 0;
  let onlineEpisodes = 0;
  const rate = { t: performance.now(), step, perS: 0 };

  const progress = (phase: TrainProgress['phase']) => {
    const now = performance.now();
    if (now - rate.t > 2000) {
      rate.perS = ((step - rate.step) * 1000) / (now - rate.t);
      rate.t = now;
      rate.step = step;
    }
    opts.onProgress?.({ phase, step, totalSteps, envSteps: onlineEnvSteps, recentSuccess: successRate(recent), loss: lastLoss, stepsPerS: rate.perS });
  };

  try {
    // ---- 3. Offline data: the given datasets, or a bootstrap collection on the train split -----
    const interrupted = () => opts.signal?.aborted === true;
    const datasets = t.datasets.length > 0 ? t.datasets : await bootstrap(run, qtopt, scene, opts, log);
    const offline = { datasets, episodes: 0, transitions: 0, successes: 0 };
    // A finished run resumed has nothing to learn: its data are counted, not loaded (minutes for a large replay).
    const finished = resumedFrom !== null && step >= totalSteps;
    if (finished) log(`${opts.out} is complete at gradient step ${step}: nothing to train (a larger --steps with --resume trains on)`);
    // Stopped during the bootstrap collection: what it wrote stays, and --resume collects the rest before learning.
    for (const dir of interrupted() ? [] : datasets) {
      const reader = openOfflineDataset(dir, qtopt);
      const filled = finished ? { episodes: reader.totalEpisodes, transitions: reader.totalFrames } : await fillReplay(reader, replay);
      offline.episodes += filled.episodes;
      offline.transitions += filled.transitions;
      offline.successes += reader.entries.filter((e) => e.success).length;
    }
    const offlineSuccess = offline.episodes > 0 ? offline.successes / offline.episodes : 0;
    if (offline.episodes > 0) log(`offline data: ${offline.episodes} episodes, ${offline.transitions} transitions, ${(offlineSuccess * 100).toFixed(1)}% detected success`);

    // The run's own online episodes from before a resume go back into the replay too.
    if (existsSync(run.episodesDir)) {
      const own = finished ? { episodes: 0 } : await fillReplay(DatasetReader.open(run.episodesDir), replay);
      if (own.episodes > 0) log(`replay refilled with the run's ${own.episodes} online episodes`);
      episodesWriter = DatasetWriter.resume(run.episodesDir);
    } else {
      episodesWriter = DatasetWriter.create(run.episodesDir, specForScene(scene), { command: 'train', config: hash });
    }
    onlineEnvSteps = episodesWriter.totalFrames;
    onlineEpisodes = episodesWriter.totalEpisodes;
    if (resumedFrom === null) {
      metrics.write(0, { 'charts/offline_episodes': offline.episodes, 'charts/offline_transitions': offline.transitions, 'charts/offline_success_rate': offlineSuccess });
    }

    // ---- The learner's step, and what happens at its periods -----------------------------------
    const learnStep = async (phase: 'offline' | 'online') => {
      // The next batches early, for the learner's Bellman updater: only where that draws the same
      // batches as drawing each at its step (the offline replay does not change; uniform sampling ignores TD errors).
      const ahead = phase === 'offline' && !r.prioritized ? Math.min(learner.batchesAhead, t.offlineSteps - step - 1) : 0;
      const { batch, upcoming } = drawn.next(ahead, (b, offset) => replay.sample(replayRng, b, beta(step + offset)));
      const stats = await learner.step(batch, step + 1, upcoming);
      if (r.prioritized) replay.updatePriorities(batch.indices, stats.tdErrors);
      step++;
      lastLoss = stats.loss;
      if (step % LOG_PERIOD === 0) {
        metrics.write(step, {
          'losses/td_loss': stats.loss,
          'losses/conservative_penalty': stats.penalty,
          'losses/q_values': stats.qMean,
          'losses/target_values': stats.targetMean,
          'losses/td_error': stats.tdErrorMean,
          'losses/grad_norm': stats.gradNorm,
          'charts/learning_rate': stats.lr,
          'charts/phase': phase,
          'charts/env_steps': onlineEnvSteps,
          'charts/episodes': onlineEpisodes,
          'charts/success_rate': successRate(recent),
          'charts/epsilon': epsilon(onlineEnvSteps),
          'charts/replay_size': replay.validCount,
          'perf/num_tensors': tf.memory().numTensors,
          'perf/steps_per_s': rate.perS,
          'perf/learner_threads': learner.threads,
          'perf/bellman_updater_steps': learner.aheadSteps,
          'perf/rss_mb': process.memoryUsage().rss / 2 ** 20,
          'perf/elapsed_s': (performance.now() - t0) / 1000,
        });
      }
      if (link && step % t.weightSyncPeriod === 0) link.sendWeights(weightsOf(learner.acting, step));
      const evaluate = t.evalPeriod > 0 && (step % t.evalPeriod === 0 || step === totalSteps);
      if (evaluate) {
        validation.env ??= await createTrainingEnv(scene, 'validation');
        const policy = new CemPolicy(learner.acting, qtopt);
        const { episodes, policyMsPerStep } = runEvaluation(validation.env, policy, { episodes: t.evalEpisodes, seed: deriveSeed(t.seed, STREAM.validation) });
        lastValidation = summarizeEvaluation(episodes, policyMsPerStep);
        run.writeEval(checkpointName(step), { split: 'validation', step, env_steps: onlineEnvSteps, ...lastValidation });
        metrics.write(step, {
          'charts/validation_success': lastValidation.success_rate,
          'charts/validation_ci_low': lastValidation.success_ci95[0],
          'charts/validation_ci_high': lastValidation.success_ci95[1],
          'perf/num_tensors': tf.memory().numTensors,
          'perf/policy_ms_per_step': policyMsPerStep,
        });
      }
      if (evaluate || step % t.checkpointPeriod === 0 || step === totalSteps) await checkpoint(evaluate ? lastValidation!.success_rate : null);
      progress(phase);
      // Let the event loop run: collectors' messages, Ctrl-C and the progress bar's redraws wait for it.
      await new Promise((resolve) => setImmediate(resolve));
    };
    let checkpointed = resumedFrom ?? -1;
    const checkpoint = async (validationSuccess: number | null) => {
      await saveCheckpoint(run.checkpointDir(step), learner.acting, { step, envSteps: onlineEnvSteps, validationSuccess, libraryVersion: LIBRARY_VERSION, configHash: hash }, { learner });
      checkpointed = step;
      // Ties go to the later checkpoint: it has seen more data.
      if (validationSuccess !== null && (best === null || validationSuccess >= best.validationSuccess)) {
        best = { step, validationSuccess };
        run.writeBest(step, validationSuccess);
      }
      run.pruneCheckpoints(t.keepCheckpoints);
    };

    // ---- 4. Offline phase: gradient steps on the fixed data -------------------------------------
    const needed = Math.max(r.batchSize, t.learningStarts);
    const canLearn = () => replay.validCount >= needed;
    if (step < t.offlineSteps && !canLearn() && !interrupted()) {
      throw new RunError(`the offline data holds ${replay.validCount} transitions; train.learningStarts needs ${needed} before the first gradient step`);
    }
    if (step < t.offlineSteps) await learner.setThreads(t.learnerThreads);
    while (step < t.offlineSteps && !interrupted()) await learnStep('offline');

    // ---- 5. Online phase: collectors run the current policy; the learner keeps pace ------------
    if (step < totalSteps && !interrupted()) {
      const onlineSeed = deriveSeed(t.seed, STREAM.online);
      let requested = onlineEpisodes;
      const nextEpisode = (): EpisodeRequest => {
        const index = requested++;
        return { index, seed: deriveSeed(onlineSeed, index), epsilon: epsilon(onlineEnvSteps) };
      };
      await learner.setThreads(t.collectors > 0 ? 1 : t.learnerThreads);
      link = await openLink({ config: qtopt, scene, collectors: t.collectors, nextEpisode, weights: weightsOf(learner.acting, step) });
      const take = (arrived: CollectedEpisode[]) => {
        for (const episode of arrived) {
          addEpisode(replay, episode.record);
          episodesWriter!.append(episode.prepared);
          onlineEnvSteps += episode.record.steps.length;
          onlineEpisodes++;
          recent.push(episode.record.success);
          if (recent.length > SUCCESS_WINDOW) recent.shift();
        }
      };
      const onlineStart = Math.max(t.offlineSteps, 0);
      // Env steps the online phase had when it (re)started count too: a resumed run keeps its pace.
      while (step < totalSteps && !interrupted()) {
        const allowed = canLearn() && (step - onlineStart) * t.trainFrequency < t.gradientSteps * onlineEnvSteps;
        if (allowed) {
          await learnStep('online');
          take(link.poll());
        } else {
          take(await link.receive());
          progress('online');
        }
      }
    }
    // Stopped by Ctrl-C: keep every step taken.
    if (interrupted() && checkpointed !== step && step > 0) await checkpoint(null);
    progress('done');
    return {
      dir: run.dir,
      steps: step,
      interrupted: step < totalSteps,
      online_env_steps: onlineEnvSteps,
      online_episodes: onlineEpisodes,
      offline: { datasets, episodes: offline.episodes, transitions: offline.transitions, success_rate: offlineSuccess },
      resumed_from_step: resumedFrom,
      best: best ? { step: best.step, validation_success: best.validationSuccess } : null,
      last_validation: lastValidation,
      elapsed_s: (performance.now() - t0) / 1000,
    };
  } finally {
    await link?.close();
    episodesWriter?.close();
    validation.env?.close();
    metrics.close();
    await learner.setThreads(1);
    learner.dispose();
  }
}

/**
 * The default offline data, collected into the run folder (resumable): the
 * scripted grasper with Gaussian action noise, the random policy moving
 * down with randomDownProbability, and the aimed reach where configured. Data near 46% success trains well, and
 * near-optimal data (89%) did not: the Q-function needs failures to contrast.
 */
async function bootstrap(
  run: RunDir,
  config: QtOptConfig,
  scene: SceneConfig,
  { onProgress, signal }: Pick<TrainOptions, 'onProgress' | 'signal'>,
  log: (line: string) => void,
): Promise<string[]> {
  const t = config.train;
  const parts = [
    { name: 'scripted', episodes: t.bootstrapScriptedEpisodes, policy: `scripted+noise:${t.bootstrapScriptedNoise}`, stream: STREAM.bootstrapScripted },
    { name: 'random', episodes: t.bootstrapRandomEpisodes, policy: `random+down:${config.exploration.randomDownProbability}+close:${config.exploration.randomCloseProbability}`, stream: STREAM.bootstrapRandom },
    { name: 'aimed', episodes: t.bootstrapAimedEpisodes, policy: aimedReachSpec(t.bootstrapAimSpread, t.bootstrapAimAlignedYaw), stream: STREAM.bootstrapAimed },
  ].filter((p) => p.episodes > 0);
  let before = 0;
  const dirs: string[] = [];
  for (const part of parts) {
    const dir = join(run.bootstrapDir, part.name);
    log(`bootstrap: ${part.episodes} episodes of ${part.policy} into ${dir}`);
    const result = await collect({
      dir,
      episodes: part.episodes,
      seed: deriveSeed(t.seed, part.stream),
      workers: Math.max(1, t.collectors),
      resume: existsSync(dir),
      policy: part.policy,
      scene,
      split: 'train',
      objectsDir: null,
      signal,
      onProgress: (p) =>
        onProgress?.({
          phase: 'bootstrap',
          step: 0,
          totalSteps: t.offlineSteps + t.onlineSteps,
          envSteps: 0,
          recentSuccess: p.episodes > 0 ? p.successes / p.episodes : null,
          loss: null,
          stepsPerS: 0,
          bootstrapEpisodes: before + p.episodes,
        }),
    });
    if (result.interrupted) {
      log(`bootstrap: stopped at ${result.episodes} of ${part.episodes} ${part.name} episodes; --resume collects the rest`);
      break;
    }
    log(`bootstrap: ${part.policy} succeeded in ${result.successes}/${result.episodes} episodes`);
    before += result.episodes;
    dirs.push(dir);
  }
  return dirs;
}

function successRate(recent: readonly boolean[]): number | null {
  return recent.length === 0 ? null : recent.filter(Boolean).length / recent.length;
}
