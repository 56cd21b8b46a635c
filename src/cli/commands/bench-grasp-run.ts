/**
 * `pincer bench grasp` (flags in bench-grasp.ts). Episodes are split by index: the
 * first (1 − holdout) train, the rest are held out. Each step samples a batch of
 * final transitions and takes src/rl's learnerStep with log loss against the
 * detected success, on the config's network, optimizer and action inputs
 * (inputs.ts: what the env executes, ignored dims zeroed) and its replay.imageShift augmentation.
 */
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_CAMERA, DatasetReader, imageKey } from '../../data/index.js';
import { actionsTensor, ignoredActionDims, imagesTensor, shiftImages, statesTensor, type QtOptConfig } from '../../qtopt/index.js';
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
}

/** The final transitions of a dataset, packed: images [N·H·W·C], states [N·S], actions [N·A]. */
interface FinalGrasps {
  count: number;
  images: Uint8Array;
  states: Float32Array;
  actions: Float32Array;
  success: boolean[];
  policy: string[];
  episode: number[];
}

async function readFinalGrasps(dir: string, config: QtOptConfig): Promise<FinalGrasps> {
  const { imageWidth, imageHeight, imageChannels: c, stateDim: s, actionDim: a } = config.network;
  const reader = DatasetReader.open(dir, { imageWidth, imageHeight, camera: DEFAULT_CAMERA, features: [imageKey(DEFAULT_CAMERA), 'observation.state', 'action', 'next.reward'] });
  const n = reader.totalEpisodes;
  const pixels = imageWidth * imageHeight * c;
  const out: FinalGrasps = { count: n, images: new Uint8Array(n * pixels), states: new Float32Array(n * s), actions: new Float32Array(n * a), success: [], policy: [], episode: [] };
  let i = 0;
  for await (const episode of reader.episodes()) {
    const last = episode.steps[episode.steps.length - 1]!;
    const obs = last.observation;
    out.images.set(obs.image, i * pixels);
    if (s > 0) out.states.set([obs.aperture, obs.closed ? 1 : 0, obs.height], i * s);
    out.actions.set(last.action, i * a);
    out.success.push(last.reward > 0);
    out.policy.push(reader.entries[episode.episodeIndex]!.policy);
    out.episode.push(episode.episodeIndex);
    i++;
  }
  return out;
}

/** Logits of the grasps `rows` in batches: [rows.length]. */
function logitsOf(net: QNetwork, data: FinalGrasps, rows: readonly number[], config: QtOptConfig, ignored: number[]): Float32Array {
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

function gather(data: FinalGrasps, rows: readonly number[], pixels: number, s: number, a: number) {
  const images = new Uint8Array(rows.length * pixels);
  const states = new Float32Array(rows.length * s);
  const actions = new Float32Array(rows.length * a);
  rows.forEach((r, i) => {
    images.set(data.images.subarray(r * pixels, (r + 1) * pixels), i * pixels);
    states.set(data.states.subarray(r * s, (r + 1) * s), i * s);
    actions.set(data.actions.subarray(r * a, (r + 1) * a), i * a);
  });
  return { images, states, actions };
}

/** Mean log loss of logits against labels (src/rl's logLoss, the training loss). */
function meanLogLoss(logits: Float32Array, labels: readonly boolean[]): number {
  return tf.tidy(() => tf.mean(logLoss(tf.tensor1d(logits), tf.tensor1d(labels.map((l) => (l ? 1 : 0))))).dataSync()[0]!);
}

export async function benchGrasp(opts: BenchGraspOptions): Promise<void> {
  if (!(opts.holdout > 0 && opts.holdout < 1)) throw new UsageError(`--holdout must be in (0, 1), got ${opts.holdout}`);
  const config = readConfig(opts.config);
  const load = trackLoad();
  const backend = await initBackend();
  const data = await readFinalGrasps(opts.dataset, config);
  const trainCount = Math.round(data.count * (1 - opts.holdout));
  const trainRows = Array.from({ length: trainCount }, (_, i) => i);
  const heldRows = Array.from({ length: data.count - trainCount }, (_, i) => trainCount + i);
  if (trainRows.length < config.replay.batchSize || heldRows.length < 2) throw new UsageError(`--dataset ${opts.dataset}: ${data.count} episodes are too few to train on and hold out`);
  const heldLabels = heldRows.map((r) => data.success[r]!);
  const policies = [...new Set(heldRows.map((r) => data.policy[r]!))].sort();
  const prior = trainRows.filter((r) => data.success[r]).length / trainRows.length;
  log(opts, `bench grasp: ${data.count} final grasps (${trainRows.length} train, ${heldRows.length} held out), train success ${prior.toFixed(3)}, backend ${backend}`);

  const net = new QNetwork(config.network as QNetConfig, opts.seed);
  const o = config.optimizer;
  const optimizer = new JsAdam({ learningRate: o.learningRate, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon });
  const ignored = ignoredActionDims(config.network.ignoredActions);
  const { imageWidth: w, imageHeight: h, imageChannels: c, stateDim: s, actionDim: a } = config.network;
  const rng = new Rng(opts.seed + 1);
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
    const y = tf.tensor1d(rows.map((r) => (data.success[r] ? 1 : 0)));
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
    train_episodes: trainRows.length,
    held_out_episodes: heldRows.length,
    train_success_rate: round(prior),
    prior_loss: round(priorLoss),
    steps: opts.steps,
    ms_per_step: { wall: round(elapsed.wall / opts.steps, 1), cpu: round(elapsed.cpu / opts.steps, 1) },
    tensors_leaked: leaked,
    evaluations,
    ...load.end(),
  });
}
