/**
 * QT-Opt training, top to bottom (CleanRL style): the run folder and its
 * resolved config, the learner and the replay, offline data (given datasets,
 * or a bootstrap collection from the scripted grasper and random actions),
 * the offline phase, then the online phase with collectors, with periodic
 * validation, checkpoints and metrics throughout.
 *
 * Counting: `step` is the gradient step (the learner's clock: learning rate,
 * target updates, weight syncs, evaluation, checkpoints); online env steps
 * count the frames the collectors sent back (ε decays over them).
 *
 * Held-out discipline: collectors use the 'train' split and periodic
 * evaluation the 'validation' split (splits.ts); no path here can name 'test'.
 *
 * Resume: the newest checkpoint gives the weights and the gradient step; the
 * replay is refilled from the offline datasets and the run's own episodes/
 * (every online episode is kept, those after the checkpoint too). Metrics
 * after the checkpoint's step are dropped and redone. Adam's moments and the
 * lagged target networks restart from the checkpoint's weights.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { DatasetReader, DatasetWriter, addEpisode, collect, fillReplay, imageKey, DEFAULT_CAMERA, replayShapeOf, specForScene } from '../data/index.js';
import type { GraspEnv } from '../env/index.js';
import { LIBRARY_VERSION, splitOf } from '../objects/index.js';
import { Rng, deriveSeed } from '../random/index.js';
import { ConfigError, MetricsWriter, ReplayBuffer, makeSchedule, replayConfig, type ReplayBatch } from '../rl/index.js';
import type { SceneConfig } from '../scene/index.js';
import { initBackend } from '../tf/index.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { resolveQtOptConfig, type QtOptConfig } from './config.js';
import { runEvaluation, summarizeEvaluation, type EvalSummary } from './evaluate.js';
import { QtOptLearner } from './learner.js';
import { applyWeights, openLink, weightsOf, type CollectedEpisode, type CollectorLink, type EpisodeRequest } from './link.js';
import { CemPolicy } from './policy.js';
import { RunDir, RunError, checkpointName } from './run.js';
import { createTrainingEnv } from './splits.js';

// ---- Settings of the run around the agent (the agent's own are QtOptConfig) ----------------------

export const RunSettingsSchema = z.strictObject({
  /** Bootstrap data collected into runs/NAME/bootstrap/ when no --dataset is given. */
  bootstrap: z
    .strictObject({
      /** Episodes to collect (0: none, train online from scratch). */
      episodes: z.number().int().min(0).default(400),
      /**
       * Policy spec (pincer collect's --policy). Data near 46% success trains
       * well; near-optimal data (89%) did not: the Q-function needs failures to
       * contrast against. Measured on 60 episodes (seed 5): scripted+eps:0.2
       * succeeds 52% on scenes/bin.json, random 0%, so this mix gives ~41%; on
       * scenes/bin-easy.json the same mix gives 77%, and 0.55/0.45 suits it better.
       */
      policy: z.string().default('mixture:scripted+eps:0.2=0.8,random=0.2'),
    })
    .prefault({}),
  /** Gradient steps between checkpoints (evaluations checkpoint too). */
  checkpointPeriod: z.number().int().min(1).default(1000),
  /** Gradient steps between metrics lines. */
  logPeriod: z.number().int().min(1).default(20),
  /** Online episodes the recent success rate (charts/success_rate) averages over. */
  successWindow: z.number().int().min(1).default(100),
});
export type RunSettings = z.output<typeof RunSettingsSchema>;

export function resolveRunSettings(input: unknown, source: string): RunSettings {
  const parsed = RunSettingsSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = ['run', ...issue.path.map(String)].join('.');
    throw new ConfigError(`${source}: ${issue.code === 'unrecognized_keys' ? `unknown key ${path}.${(issue as { keys: string[] }).keys[0]}` : `${path}: ${issue.message}`}`);
  }
  return parsed.data;
}

/** Everything that fixes a run; written to config.json, compared on --resume. */
export interface RunConfig {
  format: 1;
  seed: number;
  /** Offline datasets (empty: bootstrap). */
  datasets: string[];
  scene: SceneConfig;
  run: RunSettings;
  qtopt: QtOptConfig;
}

export interface RunConfigInput {
  /** The --config file's JSON: QtOptConfig fields, plus an optional "run" section (RunSettings). */
  file: unknown;
  /** Where `file` came from, for error messages. */
  source: string;
  scene: SceneConfig;
  seed: number;
  datasets: string[];
  /** Total gradient steps: offline steps as configured (capped at this), the rest online. */
  steps?: number;
  collectors?: number;
}

/**
 * The fully resolved config of a run. Flags override the file; the network's
 * input size follows the scene's camera unless the file sets it.
 */
export function buildRunConfig(input: RunConfigInput): RunConfig {
  const { file, source, scene } = input;
  if (typeof file !== 'object' || file === null || Array.isArray(file)) throw new ConfigError(`${source}: must be a JSON object`);
  const { run, ...agent } = file as Record<string, unknown> & { network?: Record<string, unknown>; train?: Record<string, unknown> };
  const network = { imageWidth: scene.camera.width, imageHeight: scene.camera.height, ...(agent.network ?? {}) };
  const first = resolveQtOptConfig({ ...agent, network }, source);
  const trainOverrides: Record<string, number> = {};
  if (input.collectors !== undefined) trainOverrides.collectors = input.collectors;
  if (input.steps !== undefined) {
    trainOverrides.offlineSteps = Math.min(first.train.offlineSteps, input.steps);
    trainOverrides.onlineSteps = input.steps - trainOverrides.offlineSteps;
  }
  const qtopt = Object.keys(trainOverrides).length === 0 ? first : resolveQtOptConfig({ ...agent, network, train: { ...(agent.train ?? {}), ...trainOverrides } }, source);
  return { format: 1, seed: input.seed, datasets: input.datasets, scene, run: resolveRunSettings(run, source), qtopt };
}

export interface TrainProgress {
  phase: 'bootstrap' | 'offline' | 'online' | 'done';
  step: number;
  totalSteps: number;
  envSteps: number;
  /** Detected success over the last successWindow online episodes (null before the first). */
  recentSuccess: number | null;
  loss: number | null;
  stepsPerS: number;
  /** The bootstrap collection's episodes so far, during the bootstrap phase. */
  bootstrapEpisodes?: number;
}

export interface TrainOptions {
  out: string;
  config: RunConfig;
  resume: boolean;
  onProgress?: (p: TrainProgress) => void;
  /** One-line notes for the log (stderr in the CLI). */
  log?: (line: string) => void;
}

export interface TrainResult {
  dir: string;
  steps: number;
  online_env_steps: number;
  online_episodes: number;
  offline: { datasets: string[]; episodes: number; transitions: number; success_rate: number };
  resumed_from_step: number | null;
  best: { step: number; validation_success: number } | null;
  last_validation: EvalSummary | null;
  elapsed_s: number;
}

/** Independent random streams of a run, all derived from its seed. */
const STREAM = { learner: 1, replay: 2, online: 3, validation: 4, bootstrap: 5 } as const;

export function configHash(config: RunConfig): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 16);
}

/** The dataset features offline training reads. */
const NEEDED_FEATURES = [imageKey(DEFAULT_CAMERA), 'observation.state', 'action', 'next.reward', 'next.done'];

/**
 * Open an offline dataset for this network, refusing one with other images or
 * features, or with episodes on a held-out split (one line naming the dataset).
 */
function openOfflineDataset(dir: string, config: QtOptConfig): DatasetReader {
  const reader = DatasetReader.open(dir, { imageWidth: config.network.imageWidth, imageHeight: config.network.imageHeight, camera: DEFAULT_CAMERA, features: NEEDED_FEATURES });
  for (const entry of reader.entries) {
    const heldOut = entry.split === 'test' || entry.object_ids.some((id) => !id.startsWith('ext:') && splitOf(id) === 'test');
    if (heldOut) throw new RunError(`${dir}: episode ${entry.episode_index} uses test-split objects; training never reads the test split`);
  }
  return reader;
}

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const t0 = performance.now();
  const { config } = opts;
  const { qtopt, scene, run: settings, seed } = config;
  const log = opts.log ?? (() => {});
  const schedule = trainSchedule(qtopt);
  if (scene.camera.width !== qtopt.network.imageWidth || scene.camera.height !== qtopt.network.imageHeight) {
    throw new ConfigError(
      `network.imageWidth/imageHeight ${qtopt.network.imageWidth}x${qtopt.network.imageHeight} do not match the scene's camera ${scene.camera.width}x${scene.camera.height}`,
    );
  }
  for (const dir of config.datasets) openOfflineDataset(dir, qtopt); // bad datasets fail before anything is written

  // ---- 1. The run folder: config.json first, so a resume can check it ------------------------
  const run = opts.resume ? RunDir.resume(opts.out, config) : RunDir.create(opts.out, config);
  const hash = configHash(config);

  // ---- 2. Learner (online net, lagged targets, optimizer) and replay ---------------------------
  await initBackend();
  const learner = new QtOptLearner(qtopt, deriveSeed(seed, STREAM.learner));
  let step = 0;
  let resumedFrom: number | null = null;
  const checkpoints = run.checkpointSteps();
  if (opts.resume && checkpoints.length > 0) {
    resumedFrom = checkpoints[checkpoints.length - 1];
    const { net, meta } = loadCheckpoint(run.checkpointDir(resumedFrom), qtopt.network);
    applyWeights(learner.online, weightsOf(net, meta.step));
    net.dispose();
    step = meta.step;
    run.truncateMetrics(step);
    log(`resuming from ${run.checkpointDir(step)} (gradient step ${step})`);
  } else if (opts.resume) {
    run.truncateMetrics(-1);
  }
  const replay = new ReplayBuffer(
    replayConfig({ ...replayShapeOf(specForScene(scene)), capacity: qtopt.replay.capacity, gamma: qtopt.bellman.gamma, nStep: qtopt.bellman.nStep, prioritized: qtopt.replay.prioritized }),
  );
  const batch: ReplayBatch = replay.createBatch(qtopt.replay.batchSize);
  // Re-seeded from the step on resume, so a resumed run samples the same way each time.
  const replayRng = new Rng(deriveSeed(deriveSeed(seed, STREAM.replay), step));
  const metrics = new MetricsWriter(run.metricsPath);
  const recent: boolean[] = [];
  let lastLoss: number | null = null;
  // Built at the first evaluation (a holder, since closures assign it).
  const validation: { env: GraspEnv | null } = { env: null };
  let lastValidation: EvalSummary | null = null;
  let best = run.readBest();
  let link: CollectorLink | null = null;
  let episodesWriter: DatasetWriter | null = null;
  let tRate = performance.now();
  let stepAtRate = step;
  let stepsPerS = 0;

  const progress = (phase: TrainProgress['phase'], envSteps: number) => {
    const now = performance.now();
    if (now - tRate > 2000) {
      stepsPerS = ((step - stepAtRate) * 1000) / (now - tRate);
      tRate = now;
      stepAtRate = step;
    }
    opts.onProgress?.({ phase, step, totalSteps: schedule.totalSteps, envSteps, recentSuccess: recentRate(recent), loss: lastLoss, stepsPerS });
  };

  try {
    // ---- 3. Offline data: the given datasets, or a bootstrap collection ------------------------
    let datasets = config.datasets;
    if (datasets.length === 0 && settings.bootstrap.episodes > 0) {
      log(`bootstrap: collecting ${settings.bootstrap.episodes} episodes with ${settings.bootstrap.policy} into ${run.bootstrapDir}`);
      opts.onProgress?.({ phase: 'bootstrap', step, totalSteps: schedule.totalSteps, envSteps: 0, recentSuccess: null, loss: null, stepsPerS: 0, bootstrapEpisodes: 0 });
      await collect({
        dir: run.bootstrapDir,
        episodes: settings.bootstrap.episodes,
        seed: deriveSeed(seed, STREAM.bootstrap),
        workers: Math.max(1, schedule.collectors),
        resume: existsSync(run.bootstrapDir),
        policy: settings.bootstrap.policy,
        scene,
        split: 'train',
        objectsDir: null,
        onProgress: (p) =>
          opts.onProgress?.({ phase: 'bootstrap', step, totalSteps: schedule.totalSteps, envSteps: 0, recentSuccess: p.episodes > 0 ? p.successes / p.episodes : null, loss: null, stepsPerS: 0, bootstrapEpisodes: p.episodes }),
      });
      datasets = [run.bootstrapDir];
    }
    const offline = { datasets, episodes: 0, transitions: 0, successes: 0 };
    for (const dir of datasets) {
      const reader = openOfflineDataset(dir, qtopt);
      const filled = await fillReplay(reader, replay);
      offline.episodes += filled.episodes;
      offline.transitions += filled.transitions;
      offline.successes += reader.entries.filter((e) => e.success).length;
    }
    const offlineSuccess = offline.episodes > 0 ? offline.successes / offline.episodes : 0;
    if (offline.episodes > 0) log(`offline data: ${offline.episodes} episodes, ${offline.transitions} transitions, ${(offlineSuccess * 100).toFixed(1)}% detected success`);

    // The run's own online episodes from before a resume go back into the replay too.
    episodesWriter = existsSync(run.episodesDir) ? DatasetWriter.resume(run.episodesDir) : DatasetWriter.create(run.episodesDir, specForScene(scene), { command: 'train', config: hash });
    let onlineEnvSteps = episodesWriter.totalFrames;
    let onlineEpisodes = episodesWriter.totalEpisodes;
    if (onlineEpisodes > 0) {
      episodesWriter.close();
      await fillReplay(DatasetReader.open(run.episodesDir), replay);
      episodesWriter = DatasetWriter.resume(run.episodesDir);
      log(`replay refilled with the run's ${onlineEpisodes} online episodes`);
    }
    if (step === 0 && resumedFrom === null) {
      metrics.write(0, { 'charts/offline_episodes': offline.episodes, 'charts/offline_transitions': offline.transitions, 'charts/offline_success_rate': offlineSuccess });
    }

    // ---- The learner's step, and what happens at its periods -----------------------------------
    const learnStep = async (phase: 'offline' | 'online') => {
      replay.sample(replayRng, batch);
      const stats = learner.step(batch, step);
      step++;
      lastLoss = stats.loss;
      if (step % settings.logPeriod === 0) {
        metrics.write(step, {
          'losses/td_loss': stats.loss,
          'losses/q_values': stats.qMean,
          'losses/target_values': stats.targetMean,
          'losses/td_error': stats.tdErrorMean,
          'losses/grad_norm': stats.gradNorm,
          'charts/learning_rate': stats.lr,
          'charts/phase': phase,
          'charts/env_steps': onlineEnvSteps,
          'charts/episodes': onlineEpisodes,
          'charts/success_rate': recentRate(recent),
          'charts/epsilon': schedule.epsilon(onlineEnvSteps),
          'charts/replay_size': replay.validCount,
          'perf/num_tensors': tf.memory().numTensors,
          'perf/steps_per_s': stepsPerS,
          'perf/elapsed_s': (performance.now() - t0) / 1000,
        });
      }
      if (link && step % schedule.weightSyncPeriod === 0) link.sendWeights(weightsOf(learner.online, step));
      const evaluate = step % schedule.evalPeriod === 0 || step === schedule.totalSteps;
      if (evaluate) {
        validation.env ??= await createTrainingEnv(scene, 'validation');
        const policy = new CemPolicy(learner.online, qtopt, { epsilon: 0, noiseStd: 0 });
        const { episodes, policyMsPerStep } = runEvaluation(validation.env, policy, { episodes: schedule.evalEpisodes, seed: deriveSeed(seed, STREAM.validation) });
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
      if (evaluate || step % settings.checkpointPeriod === 0) {
        saveCheckpoint(run.checkpointDir(step), learner.online, {
          step,
          envSteps: onlineEnvSteps,
          validationSuccess: evaluate ? lastValidation!.success_rate : null,
          libraryVersion: LIBRARY_VERSION,
          configHash: hash,
        });
        // Ties go to the later checkpoint: it has seen more data.
        if (evaluate && (best === null || lastValidation!.success_rate >= best.validationSuccess)) {
          best = { step, validationSuccess: lastValidation!.success_rate };
          run.writeBest(step, best.validationSuccess);
        }
        run.pruneCheckpoints(schedule.keepCheckpoints);
      }
      progress(phase, onlineEnvSteps);
    };

    // ---- 4. Offline phase: gradient steps on the fixed data -------------------------------------
    const canLearn = () => replay.validCount >= Math.max(qtopt.replay.batchSize, schedule.learningStarts);
    if (step < schedule.offlineSteps && !canLearn()) {
      throw new RunError(`the offline data holds ${replay.validCount} transitions, fewer than the ${Math.max(qtopt.replay.batchSize, schedule.learningStarts)} a gradient step needs`);
    }
    while (step < schedule.offlineSteps) await learnStep('offline');

    // ---- 5. Online phase: collectors run the current policy; the learner keeps pace ------------
    if (step < schedule.totalSteps) {
      const onlineRng = deriveSeed(seed, STREAM.online);
      let requested = onlineEpisodes;
      const nextEpisode = (): EpisodeRequest => {
        const index = requested++;
        return { index, seed: deriveSeed(onlineRng, index), epsilon: schedule.epsilon(onlineEnvSteps) };
      };
      link = await openLink({ config: qtopt, scene, collectors: schedule.collectors, nextEpisode, weights: weightsOf(learner.online, step) });
      const take = (arrived: CollectedEpisode[]) => {
        for (const episode of arrived) {
          addEpisode(replay, episode.record);
          episodesWriter!.append(episode.prepared);
          onlineEnvSteps += episode.record.steps.length;
          onlineEpisodes++;
          recent.push(episode.record.success);
          if (recent.length > settings.successWindow) recent.shift();
        }
      };
      // Gradient steps are paced by data: at most gradientStepsPerEnvStep per online env step.
      const onlineStart = schedule.offlineSteps;
      while (step < schedule.totalSteps) {
        const allowed = canLearn() && step - onlineStart < schedule.gradientStepsPerEnvStep * onlineEnvSteps;
        if (allowed) {
          await learnStep('online');
          take(link.poll());
        } else {
          take(await link.receive());
          progress('online', onlineEnvSteps);
        }
      }
    }
    progress('done', onlineEnvSteps);
    return {
      dir: run.dir,
      steps: step,
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
    learner.dispose();
  }
}

function recentRate(recent: readonly boolean[]): number | null {
  return recent.length === 0 ? null : recent.filter(Boolean).length / recent.length;
}

/** The loop's clocks, read once from the agent's config. */
function trainSchedule(config: QtOptConfig) {
  const t = config.train;
  const e = config.exploration;
  return {
    offlineSteps: t.offlineSteps,
    totalSteps: t.offlineSteps + t.onlineSteps,
    learningStarts: t.learningStarts,
    gradientStepsPerEnvStep: t.gradientStepsPerEnvStep,
    weightSyncPeriod: t.weightSyncPeriod,
    evalPeriod: t.evalPeriod,
    evalEpisodes: t.evalEpisodes,
    keepCheckpoints: t.keepCheckpoints,
    collectors: t.collectors,
    epsilon: makeSchedule(e.epsilonSchedule, e.epsilonStart, e.epsilonEnd, e.epsilonDecaySteps),
  };
}
