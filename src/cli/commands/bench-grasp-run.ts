/**
 * `pincer bench grasp` (flags in bench-grasp.ts). Episodes are split by index: the
 * first (1 − holdout) train, the rest are held out. Each step samples a batch of
 * examples and takes src/rl's learnerStep with log loss against their labels, on
 * the config's network, optimizer and action inputs (inputs.ts: what the env
 * executes, ignored dims zeroed) and its replay.imageShift augmentation.
 *
 * The grasp check's examples are the final transitions, labelled by the detected
 * success. The approach check's (`--approach`) are the first steps of each episode
 * twice: with the move the data made there (label 1), and with the same action but
 * dx, dy from another episode of the same part at the same step (label 0). An
 * image-blind network scores AUC 0.5 on it; one that sees where the move leads
 * against what the image holds scores above. Past the first step a network can
 * also score by continuing the previous move, without seeing any object.
 */
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_CAMERA, DatasetReader, imageKey } from '../../data/index.js';
import { MOVE_DIMS, gripperState } from '../../env/index.js';
import { actionsTensor, ignoredActionDims, imagesTensor, resolveQtOptConfig, shiftImages, statesTensor, type QtOptConfig } from '../../qtopt/index.js';
import { CheckpointError, loadCheckpoint, resolveCheckpoint, RunError } from '../../qtopt/node.js';
import { Rng } from '../../random/index.js';
import { rocAuc } from '../../report/index.js';
import { learnerStep, logLoss } from '../../rl/index.js';
import { describeConvs, initBackend, JsAdam, QNetwork, type QNetConfig } from '../../tf/node.js';
import { clock, round, since, trackLoad } from '../bench-measure.js';
import { UsageError } from '../errors.js';
import { emit, log, type OutputOptions } from '../io.js';
import { readConfig } from './bench-qtopt-run.js';

export interface BenchGraspOptions extends OutputOptions {
  dataset: string;
  config?: string;
  steps: number;
  evalEvery: number;
  holdout: number;
  seed: number;
  /** The approach check on each episode's first this many steps, instead of the grasp check. */
  approach?: number;
  /** A checkpoint or run folder whose network (config and weights) the check starts from, e.g. a trained Q-function with --steps 0. */
  init?: string;
}

/**
 * Labelled examples over a dataset's frames: images [F·H·W·C] and states [F·S] per frame, and per
 * example its frame, action (actions [N·A]), label, collecting policy and episode.
 */
interface Examples {
  count: number;
  images: Uint8Array;
  states: Float32Array;
  frame: number[];
  actions: Float32Array;
  label: boolean[];
  policy: string[];
  episode: number[];
}

async function readExamples(dir: string, config: QtOptConfig, approachSteps: number | undefined, trainEpisodes: (total: number) => number, rng: Rng): Promise<Examples & { episodes: number; trainEpisodes: number }> {
  const { imageWidth, imageHeight, imageChannels: c, stateDim: s, actionDim: a } = config.network;
  const reader = DatasetReader.open(dir, { imageWidth, imageHeight, camera: DEFAULT_CAMERA, features: [imageKey(DEFAULT_CAMERA), 'observation.state', 'action', 'next.reward'], stateDim: s });
  const episodes = reader.totalEpisodes;
  const split = trainEpisodes(episodes);
  const images: Uint8Array[] = [];
  const states: number[] = [];
  const actions: Float32Array[] = [];
  const out = { frame: [] as number[], label: [] as boolean[], policy: [] as string[], episode: [] as number[], step: [] as number[] };
  for await (const episode of reader.episodes()) {
    const policy = reader.entries[episode.episodeIndex]!.policy;
    // The grasp check's frame is the final one; the approach check's are the first steps before it.
    const picked = approachSteps === undefined ? [episode.steps.length - 1] : Array.from({ length: Math.min(approachSteps, episode.steps.length - 1) }, (_, t) => t);
    for (const t of picked) {
      const step = episode.steps[t]!;
      const obs = step.observation;
      out.frame.push(images.length);
      images.push(obs.image);
      states.push(...gripperState(obs, s));
      actions.push(Float32Array.from(step.action));
      out.label.push(approachSteps === undefined ? step.reward > 0 : true);
      out.policy.push(policy);
      out.episode.push(episode.episodeIndex);
      out.step.push(t);
    }
  }
  if (approachSteps !== undefined) {
    // Each move's counterpart: another episode's dx, dy at the same step, from the same side of the split.
    const positives = out.frame.length;
    const pool = new Map<string, number[]>();
    for (let i = 0; i < positives; i++) {
      const key = `${out.step[i]}:${out.episode[i]! < split}`;
      if (!pool.has(key)) pool.set(key, []);
      pool.get(key)!.push(i);
    }
    for (let i = 0; i < positives; i++) {
      const others = pool.get(`${out.step[i]}:${out.episode[i]! < split}`)!.filter((j) => out.episode[j] !== out.episode[i]);
      if (others.length === 0) continue;
      const move = Float32Array.from(actions[i]!);
      const j = others[rng.int(0, others.length - 1)]!;
      for (const d of MOVE_DIMS) move[d] = actions[j]![d]!;
      actions.push(move);
      out.frame.push(out.frame[i]!);
      out.label.push(false);
      out.policy.push(out.policy[i]!);
      out.episode.push(out.episode[i]!);
    }
  }
  const pixels = imageWidth * imageHeight * c;
  const packed = new Uint8Array(images.length * pixels);
  images.forEach((img, i) => packed.set(img, i * pixels));
  const packedActions = new Float32Array(actions.length * a);
  actions.forEach((x, i) => packedActions.set(x, i * a));
  return { count: actions.length, images: packed, states: Float32Array.from(states), frame: out.frame, actions: packedActions, label: out.label, policy: out.policy, episode: out.episode, episodes, trainEpisodes: split };
}

/** Logits of the examples `rows` in batches: [rows.length]. */
function logitsOf(net: QNetwork, data: Examples, rows: readonly number[], config: QtOptConfig, ignored: number[]): Float32Array {
  const { imageWidth: w, imageHeight: h, imageChannels: c, stateDim: s, actionDim: a } = config.network;
  const out = new Float32Array(rows.length);
  const chunk = 64;
  for (let from = 0; from < rows.length; from += chunk) {
    const part = rows.slice(from, from + chunk);
    const { images, states, actions } = gather(data, part, h * w * c, s, a);
    const logits = tf.tidy(() => net.logits(imagesTensor(images, part.length, h, w, c), statesTensor(states, part.length, s), actionsTensor(actions, part.length, ignored)));
    out.set(logits.dataSync(), from);
    logits.dispose();
  }
  return out;
}

function gather(data: Examples, rows: readonly number[], pixels: number, s: number, a: number) {
  const images = new Uint8Array(rows.length * pixels);
  const states = new Float32Array(rows.length * s);
  const actions = new Float32Array(rows.length * a);
  rows.forEach((r, i) => {
    const f = data.frame[r]!;
    images.set(data.images.subarray(f * pixels, (f + 1) * pixels), i * pixels);
    states.set(data.states.subarray(f * s, (f + 1) * s), i * s);
    actions.set(data.actions.subarray(r * a, (r + 1) * a), i * a);
  });
  return { images, states, actions };
}

/** Mean log loss of logits against labels (src/rl's logLoss, the training loss). */
function meanLogLoss(logits: Float32Array, labels: readonly boolean[]): number {
  return tf.tidy(() => tf.mean(logLoss(tf.tensor1d(logits), tf.tensor1d(labels.map((l) => (l ? 1 : 0))))).dataSync()[0]!);
}

/** The starting network of `--init`: its checkpoint's config and weights. */
function initialNetwork(path: string): QNetwork {
  try {
    return loadCheckpoint(resolveCheckpoint(path).checkpoint).net;
  } catch (err) {
    if (err instanceof CheckpointError || err instanceof RunError) throw new UsageError(`--init ${path}: ${err.message}`);
    throw err;
  }
}

export async function benchGrasp(opts: BenchGraspOptions): Promise<void> {
  if (!(opts.holdout > 0 && opts.holdout < 1)) throw new UsageError(`--holdout must be in (0, 1), got ${opts.holdout}`);
  const read = readConfig(opts.config);
  const load = trackLoad();
  const backend = await initBackend();
  const init = opts.init === undefined ? null : initialNetwork(opts.init);
  // A trained network brings its own inputs: image size, state, the action dims it ignores.
  const config = init ? resolveQtOptConfig({ ...read, network: init.config }, `--init ${opts.init}`) : read;
  const rng = new Rng(opts.seed + 1);
  const data = await readExamples(opts.dataset, config, opts.approach, (n) => Math.round(n * (1 - opts.holdout)), rng);
  const rowsWhere = (train: boolean) => data.episode.flatMap((e, i) => ((e < data.trainEpisodes) === train ? [i] : []));
  const trainRows = rowsWhere(true);
  const heldRows = rowsWhere(false);
  if (trainRows.length < config.replay.batchSize || heldRows.length < 2) throw new UsageError(`--dataset ${opts.dataset}: ${data.episodes} episodes are too few to train on and hold out`);
  const heldLabels = heldRows.map((r) => data.label[r]!);
  const policies = [...new Set(heldRows.map((r) => data.policy[r]!))].sort();
  const prior = trainRows.filter((r) => data.label[r]).length / trainRows.length;
  const check = opts.approach === undefined ? 'grasp' : 'approach';
  log(opts, `bench grasp: ${data.count} ${check} examples (${trainRows.length} train, ${heldRows.length} held out), train positives ${prior.toFixed(3)}, backend ${backend}`);

  const net = init ?? new QNetwork(config.network as QNetConfig, opts.seed);
  const o = config.optimizer;
  const optimizer = new JsAdam({ learningRate: o.learningRate, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon });
  const ignored = ignoredActionDims(config.network.ignoredActions);
  const { imageWidth: w, imageHeight: h, imageChannels: c, stateDim: s, actionDim: a } = config.network;
  const b = config.replay.batchSize;
  // The train split's success rate as a constant prediction; kept off 0 and 1, where its logit is infinite.
  const p = Math.min(1 - 1e-6, Math.max(1e-6, prior));
  const priorLoss = meanLogLoss(Float32Array.from(heldRows, () => Math.log(p / (1 - p))), heldLabels);

  const evaluations: Record<string, unknown>[] = [];
  const evaluate = (step: number, trainLoss: number | null) => {
    const logits = logitsOf(net, data, heldRows, config, ignored);
    const scores = Array.from(logits);
    const within: Record<string, { episodes: number; success_rate: number; auc: number | null }> = {};
    for (const p of policies) {
      const idx = heldRows.map((r, i) => (data.policy[r] === p ? i : -1)).filter((i) => i >= 0);
      const auc = rocAuc(idx.map((i) => scores[i]!), idx.map((i) => heldLabels[i]!));
      within[p] = { episodes: idx.length, success_rate: round(idx.filter((i) => heldLabels[i]).length / idx.length), auc: Number.isNaN(auc) ? null : round(auc) };
    }
    const overall = rocAuc(scores, heldLabels);
    const row = { step, train_loss: trainLoss === null ? null : round(trainLoss), held_out_loss: round(meanLogLoss(logits, heldLabels)), auc: Number.isNaN(overall) ? null : round(overall), auc_within: within };
    evaluations.push(row);
    log(opts, `step ${step}: held-out loss ${row.held_out_loss} (prior ${round(priorLoss)}), AUC ${row.auc}, within ${policies.map((p) => `${p} ${within[p]!.auc}`).join(', ')}`);
  };

  const t0 = clock();
  evaluate(0, null);
  let lossSum = 0;
  let lossCount = 0;
  const startTensors = tf.memory().numTensors;
  for (let step = 1; step <= opts.steps; step++) {
    const rows = Array.from({ length: b }, () => trainRows[rng.int(0, trainRows.length - 1)]!);
    const { images, states, actions } = gather(data, rows, h * w * c, s, a);
    const shift = config.replay.imageShift;
    const x = imagesTensor(shift > 0 ? shiftImages(images, b, h, w, c, shift, rng) : images, b, h, w, c);
    const st = statesTensor(states, b, s);
    const ac = actionsTensor(actions, b, ignored);
    const y = tf.tensor1d(rows.map((r) => (data.label[r] ? 1 : 0)));
    const result = learnerStep(net.variables, optimizer, () => net.logits(x, st, ac), y, null, { loss: 'log', huberDelta: o.huberDelta, maxGradNorm: o.maxGradNorm, output: 'logit' });
    tf.dispose([x, st, ac, y]);
    lossSum += result.loss;
    lossCount++;
    if (step % opts.evalEvery === 0 || step === opts.steps) {
      evaluate(step, lossSum / lossCount);
      lossSum = 0;
      lossCount = 0;
    }
  }
  const elapsed = since(t0);
  const leaked = tf.memory().numTensors - startTensors;
  const params = net.paramCount;
  net.dispose();
  optimizer.dispose();
  emit(opts, {
    backend,
    dataset: opts.dataset,
    params,
    features: config.network.features ?? 'flatten',
    convs: describeConvs(config.network.convs),
    check,
    approach_steps: opts.approach ?? null,
    train_episodes: data.trainEpisodes,
    held_out_episodes: data.episodes - data.trainEpisodes,
    train_examples: trainRows.length,
    held_out_examples: heldRows.length,
    train_success_rate: round(prior),
    prior_loss: round(priorLoss),
    steps: opts.steps,
    init: opts.init ?? null,
    ms_per_step: opts.steps > 0 ? { wall: round(elapsed.wall / opts.steps, 1), cpu: round(elapsed.cpu / opts.steps, 1) } : null,
    tensors_leaked: leaked,
    evaluations,
    ...load.end(),
  });
}
