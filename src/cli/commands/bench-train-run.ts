/**
 * `pincer bench train`: speed of the reference Q-network (src/tf REFERENCE_QNET)
 * on the active tfjs backend: one Adam/Huber learner step (src/rl learnerStep) at batch 32, a forward
 * pass, a CEM evaluation (encoder once, head on 64 actions), and QT-Opt's
 * learner step at the default agent config (Bellman targets + gradient step,
 * split by phase). --threads N runs each step on N threads: inside the native
 * kernels where they are in use (what the learner does), else over N tfjs-wasm
 * instances (src/rl DataParallelLearner), which is also timed beside the native
 * kernels for comparison. With --peer, the same network in
 * PyTorch (scripts/bench_pytorch.py, N threads) in the same run.
 *
 * Times are medians after warm-up. Wall time is what the brief asks for; CPU
 * time (process.cpuUsage) is printed beside it because on a shared machine it
 * moves far less from run to run.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../random/index.js';
import { learnerStep, tdLoss, type LearnerStepConfig } from '../../rl/index.js';
import {
  convFilterGrad,
  convInputGrad,
  initBackend,
  JsAdam,
  nativeKernelsInUse,
  nativeVectorLanes,
  QNetwork,
  setNativeThreads,
  REFERENCE_QNET,
  REFERENCE_QNET_PARAMS,
  reluBiasGrad,
} from '../../tf/node.js';
import { DataParallelLearner, type StepPhases } from '../../rl/node.js';
import { QtOptLearner, resolveQtOptConfig } from '../../qtopt/node.js';
import { PincerError } from '../errors.js';
import { learnerTimes } from './bench-qtopt-run.js';
import { commandLogger, emit, log, type OutputOptions } from '../io.js';
import { medianTime, round, trackLoad } from '../bench-measure.js';
import { median } from '../../report/index.js';

export interface BenchTrainOptions extends OutputOptions {
  iters: number;
  warmup: number;
  seed: number;
  peer: boolean;
  profile: boolean;
  tfAdam: boolean;
  breakdown: boolean;
  threads: number;
  soak: number;
}

/** Batch size of the reference train step. */
const BATCH = 32;
/** CEM samples scored per image (QT-Opt: 64). */
const CEM_SAMPLES = 64;
/** The reference step: Huber (δ = 1) on sigmoid Q, no clipping, as the PyTorch peer. */
const REFERENCE_STEP: LearnerStepConfig = { loss: 'huber', huberDelta: 1, maxGradNorm: null, output: 'logit' };
/** Kernels listed in the profile breakdown. */
const TOP_KERNELS = 12;



interface Timing {
  ms: number;
  cpuMs: number;
}

/** Median wall and CPU milliseconds of `run` (which must finish its work synchronously or via the returned promise). */
async function time(opts: BenchTrainOptions, run: () => void | Promise<void>): Promise<Timing> {
  const t = await medianTime(opts.iters, opts.warmup, run);
  return { ms: t.wall, cpuMs: t.cpu };
}

/**
 * CPU milliseconds of each piece of the reference train step, timed alone on
 * inputs of the real shapes: per conv layer the forward kernel, the ReLU
 * mask + bias gradient, the filter gradient and the input gradient; then the
 * dense layers and the optimizer update.
 */
async function breakdown(opts: BenchTrainOptions, rng: Rng, net: QNetwork, optimizer: tf.Optimizer): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const cpu = async (name: string, f: () => tf.TensorContainer) => {
    out[name] = round((await time(opts, () => tf.dispose(f()))).cpuMs);
  };
  let [h, w, c] = [REFERENCE_QNET.imageHeight, REFERENCE_QNET.imageWidth, REFERENCE_QNET.imageChannels];
  for (const [i, conv] of REFERENCE_QNET.convs.entries()) {
    const filterShape: [number, number, number, number] = [conv.kernelSize, conv.kernelSize, c, conv.filters];
    const x = uniformTensor(rng, [BATCH, h, w, c], 0, 1) as tf.Tensor4D;
    const filter = uniformTensor(rng, filterShape, -0.1, 0.1) as tf.Tensor4D;
    const bias = tf.zeros([conv.filters]) as tf.Tensor1D;
    const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, conv.stride, 1, 'same');
    const dy = uniformTensor(rng, [BATCH, info.outHeight, info.outWidth, conv.filters], -1, 1) as tf.Tensor4D;
    await cpu(`conv${i}_forward`, () => tf.fused.conv2d({ x, filter, bias, strides: conv.stride, pad: 'same', activation: 'relu' }));
    await cpu(`conv${i}_relu_bias_grad`, () => reluBiasGrad(dy, dy));
    await cpu(`conv${i}_filter_grad`, () => convFilterGrad(x, dy, filterShape, conv.stride));
    // The first layer's input is the image: its gradient is never computed in training.
    if (i > 0) await cpu(`conv${i}_input_grad`, () => convInputGrad(dy, filter, x.shape, conv.stride));
    tf.dispose([x, filter, bias, dy]);
    [h, w, c] = [info.outHeight, info.outWidth, conv.filters];
  }
  const features = uniformTensor(rng, [BATCH, h * w * c], 0, 1);
  const weight = uniformTensor(rng, [h * w * c, REFERENCE_QNET.headUnits], -0.1, 0.1);
  const dz = uniformTensor(rng, [BATCH, REFERENCE_QNET.headUnits], -1, 1);
  await cpu('dense_image_forward', () => tf.matMul(features, weight));
  await cpu('dense_image_grads', () => [tf.matMul(dz, weight, false, true), tf.matMul(features, dz, true, false)]);
  tf.dispose([features, weight, dz]);
  const grads = Object.fromEntries(net.variables.map((v) => [v.name, tf.zerosLike(v)]));
  await cpu('optimizer_update', () => optimizer.applyGradients(grads));
  tf.dispose(Object.values(grads));
  return out;
}

function uniformValues(rng: Rng, shape: number[], lo: number, hi: number): Float32Array {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = rng.range(lo, hi);
  return values;
}

function uniformTensor(rng: Rng, shape: number[], lo: number, hi: number): tf.Tensor {
  return tf.tensor(uniformValues(rng, shape, lo, hi), shape);
}

/**
 * The train step split over `threads` tfjs-wasm instances (DataParallelLearner):
 * median wall/CPU ms and the median of each phase. CPU time counts every thread
 * of the process.
 */
/** Samples per soak run: numTensors and RSS at start and after every tenth of the steps. */
const SOAK_SAMPLES = 10;

/**
 * `--soak N`: N reference steps at --threads on fresh random batches (kernel threads with
 * the native kernels, else data-parallel); numTensors of every tfjs instance and the
 * process RSS (all threads) sampled as it goes.
 */
async function soak(opts: BenchTrainOptions, rng: Rng, net: QNetwork, optimizer: tf.Optimizer): Promise<Record<string, unknown>> {
  const { imageHeight: h, imageWidth: w, imageChannels: c, stateDim, actionDim } = REFERENCE_QNET;
  const pixels = BATCH * h * w * c;
  const native = setNativeThreads(opts.threads);
  const learner = await DataParallelLearner.start(net, native ? 1 : opts.threads);
  const samples: [number, number, number[], number][] = [];
  const t0 = performance.now();
  try {
    for (let i = 0; i <= opts.soak; i++) {
      const batch = {
        images: Uint8Array.from({ length: pixels }, () => Math.floor(rng.range(0, 256))),
        state: uniformValues(rng, [BATCH, stateDim], 0, 1),
        actions: uniformValues(rng, [BATCH, actionDim], -1, 1),
        targets: uniformValues(rng, [BATCH], 0, 1),
        weights: null,
      };
      const r = await learner.step(optimizer, batch, { ...REFERENCE_STEP, maxGradNorm: 10 });
      // Step 0 creates Adam's slots: the first sample is after it.
      if (i % Math.max(1, Math.floor(opts.soak / SOAK_SAMPLES)) === 0 || i === opts.soak) {
        samples.push([i, tf.memory().numTensors, r.workerTensors, round(process.memoryUsage().rss / 2 ** 20, 1)]);
        log(opts, `bench train: soak step ${i}/${opts.soak}, numTensors ${tf.memory().numTensors}, rss ${samples.at(-1)![3]} MiB`);
      }
    }
  } finally {
    await learner.close();
    setNativeThreads(1);
  }
  return {
    soak_steps: opts.soak,
    soak_s: round((performance.now() - t0) / 1000, 1),
    soak_samples: samples.map(([step, tensors, workers, rss]) => ({ step, num_tensors: tensors, worker_num_tensors: workers, rss_mb: rss })),
  };
}

async function parallelStep(opts: BenchTrainOptions, rng: Rng, net: QNetwork, optimizer: tf.Optimizer): Promise<{ step: Timing; phases: Record<string, number> }> {
  const { imageHeight: h, imageWidth: w, imageChannels: c, stateDim, actionDim } = REFERENCE_QNET;
  const batch = {
    images: uniformValues(rng, [BATCH, h, w, c], 0, 1),
    state: uniformValues(rng, [BATCH, stateDim], 0, 1),
    actions: uniformValues(rng, [BATCH, actionDim], -1, 1),
    targets: uniformValues(rng, [BATCH], 0, 1),
    weights: null,
  };
  const learner = await DataParallelLearner.start(net, opts.threads);
  const phases: StepPhases[] = [];
  try {
    const step = await time(opts, async () => {
      phases.push((await learner.step(optimizer, batch, REFERENCE_STEP)).phases);
    });
    const timed = phases.slice(opts.warmup);
    const phase = (key: keyof StepPhases) => round(median(timed.map((p) => p[key])));
    return { step, phases: { sync_ms: phase('syncMs'), own_shard_ms: phase('shardMs'), wait_workers_ms: phase('waitMs'), apply_ms: phase('applyMs') } };
  } finally {
    await learner.close();
  }
}

/** Rounds of pairedRatios; each times a quarter of --iters steps of each kind, after at most 3 untimed. */
const PAIRED_ROUNDS = 7;

/**
 * The QT-Opt step's median wall time over the reference step's, per round of the two timed in turn.
 * Timed minutes apart, as the figures above are, the machine's load moves each step's time by more
 * than the ratio the bar is about (the reference step 13.9–19.5 ms in three runs within six minutes, the
 * QT-Opt step 24.1–25.2); in turns, both meet the same load.
 */
async function pairedRatios(opts: BenchTrainOptions, reference: () => void, qtopt: () => Promise<void>): Promise<number[]> {
  const iters = Math.max(1, Math.round(opts.iters / 4));
  const warmup = Math.min(3, opts.warmup);
  const ratios: number[] = [];
  for (let r = 0; r < PAIRED_ROUNDS; r++) {
    const ref = await medianTime(iters, warmup, reference);
    const q = await medianTime(iters, warmup, qtopt);
    ratios.push(q.wall / ref.wall);
  }
  return ratios;
}

/** Run the PyTorch peer if python3 with torch is installed; returns its JSON or why it was skipped. */
function runPeer(opts: BenchTrainOptions): { result?: Record<string, unknown>; note?: string } {
  const script = fileURLToPath(new URL('../../../scripts/bench_pytorch.py', import.meta.url));
  for (const python of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
    } catch {
      continue;
    }
    const out = execFileSync(python, [script, '--iters', String(opts.iters), '--warmup', String(opts.warmup), '--threads', String(opts.threads)], {
      encoding: 'utf8',
      timeout: 30 * 60_000,
    });
    return { result: JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown> };
  }
  return { note: 'PyTorch peer skipped: no python3 with torch (Debian: apt-get install python3-torch libopenblas0-pthread)' };
}

export async function benchTrain(opts: BenchTrainOptions): Promise<void> {
  const load = trackLoad();
  const backend = await initBackend(commandLogger(opts));
  const rng = new Rng(opts.seed);
  const net = new QNetwork(REFERENCE_QNET, opts.seed);
  const params = net.paramCount;
  if (params !== REFERENCE_QNET_PARAMS) throw new PincerError(`reference network has ${params} parameters, expected ${REFERENCE_QNET_PARAMS}`);
  const { imageHeight: h, imageWidth: w, imageChannels: c, stateDim, actionDim } = REFERENCE_QNET;
  const images = uniformTensor(rng, [BATCH, h, w, c], 0, 1) as tf.Tensor4D;
  const state = uniformTensor(rng, [BATCH, stateDim], 0, 1) as tf.Tensor2D;
  const actions = uniformTensor(rng, [BATCH, actionDim], -1, 1) as tf.Tensor2D;
  const targets = uniformTensor(rng, [BATCH], 0, 1) as tf.Tensor1D;
  const oneImage = uniformTensor(rng, [1, h, w, c], 0, 1) as tf.Tensor4D;
  const oneState = uniformTensor(rng, [1, stateDim], 0, 1) as tf.Tensor2D;
  const cemActions = uniformTensor(rng, [CEM_SAMPLES, actionDim], -1, 1) as tf.Tensor2D;
  const optimizer = opts.tfAdam ? tf.train.adam(1e-3) : new JsAdam({ learningRate: 1e-3 });
  const trainStep = () => void learnerStep(net.variables, optimizer, () => net.logits(images, state, actions), targets, null, REFERENCE_STEP);

  log(opts, `bench train: backend ${backend}, ${opts.warmup} warm-up + ${opts.iters} timed iterations each`);
  // Adam creates its moment slots on the first update; count tensors after that.
  trainStep();
  const tensorsBefore = tf.memory().numTensors;
  const oneThread = await time(opts, trainStep);
  const tensorsAfter = tf.memory().numTensors;
  const forward = await time(opts, () => tf.tidy(() => net.logits(images, state, actions)).dispose());
  const lossOf = () => tdLoss('huber', tf.sigmoid(net.logits(images, state, actions)), targets);
  const grads = await time(opts, () => tf.tidy(() => void tf.variableGrads(lossOf, net.variables)));
  const fixedGrads = tf.tidy(() => tf.variableGrads(lossOf, net.variables).grads);
  const update = await time(opts, () => optimizer.applyGradients(fixedGrads as Record<string, tf.Variable>));
  tf.dispose(Object.values(fixedGrads));
  const parallel = opts.threads > 1 ? await parallelStep(opts, rng, net, optimizer) : null;
  let kernelThreads: Timing | null = null;
  if (opts.threads > 1 && setNativeThreads(opts.threads)) {
    kernelThreads = await time(opts, trainStep);
    setNativeThreads(1);
  }
  const step = kernelThreads ?? parallel?.step ?? oneThread;
  // Phases are timed on one thread, or per tfjs-wasm instance; not inside threaded kernels.
  const phases = kernelThreads ? null : (parallel?.phases ?? { grads_ms: round(grads.ms), apply_ms: round(update.ms) });
  // The CEM score must reach JS (CEM ranks samples there), so the timing includes the read-back.
  const cem = await time(opts, async () => {
    const q = net.scoreActions(oneImage, oneState, cemActions);
    await q.data();
    q.dispose();
  });

  let kernels: Record<string, number> | undefined;
  if (opts.profile) {
    const profile = await tf.profile(trainStep);
    const byName = new Map<string, number>();
    for (const k of profile.kernels) byName.set(k.name, (byName.get(k.name) ?? 0) + Number(k.kernelTimeMs));
    kernels = Object.fromEntries([...byName].sort((a, b) => b[1] - a[1]).slice(0, TOP_KERNELS).map(([name, ms]) => [name, round(ms)]));
  }

  const parts = opts.breakdown ? await breakdown(opts, rng, net, optimizer) : undefined;
  // QT-Opt's step at the default agent config (QTOPT_DEFAULTS): Bellman targets (CEM under the
  // target net, min over the two delayed nets), then learnerStep on the online net.
  const qtoptConfig = resolveQtOptConfig({});
  const qtoptLearner = new QtOptLearner(qtoptConfig, opts.seed);
  await qtoptLearner.setThreads(opts.threads);
  const qtopt = await learnerTimes(qtoptConfig, qtoptLearner, rng, opts.seed, (run) => medianTime(opts.iters, opts.warmup, run));
  // The reference step again, in turns with the QT-Opt step, where both run on this thread's kernel threads.
  const paired = step === kernelThreads || step === oneThread ? await pairedRatios(opts, trainStep, qtopt.learn) : null;
  await qtoptLearner.setThreads(1);
  qtoptLearner.dispose();
  const soaked = opts.soak > 0 ? await soak(opts, rng, net, optimizer) : undefined;

  const result: Record<string, unknown> = {
    backend,
    native_conv_kernels: nativeKernelsInUse(),
    native_vector_lanes: nativeVectorLanes(),
    optimizer: opts.tfAdam ? 'tf.train.adam' : 'JsAdam',
    params,
    batch: BATCH,
    iters: opts.iters,
    warmup: opts.warmup,
    threads: opts.threads,
    reference_train_step_ms: round(step.ms),
    reference_train_step_cpu_ms: round(step.cpuMs),
    reference_train_step_phases: phases,
    ...(kernelThreads && parallel
      ? { threads_in: 'native kernels', data_parallel_train_step_ms: round(parallel.step.ms), data_parallel_train_step_cpu_ms: round(parallel.step.cpuMs), data_parallel_phases: parallel.phases }
      : { threads_in: opts.threads > 1 ? 'tfjs-wasm instances' : 'one thread' }),
    one_thread_train_step_ms: round(oneThread.ms),
    one_thread_train_step_cpu_ms: round(oneThread.cpuMs),
    qtopt_step_ms: round(qtopt.gradient.wall),
    qtopt_step_cpu_ms: round(qtopt.gradient.cpu),
    // Steps whose targets a Bellman updater computed during earlier steps, on the other core.
    qtopt_bellman_updater_share: round(qtopt.aheadShare, 3),
    qtopt_bellman_updater_wait_ms: round(qtopt.updaterWaitMs),
    // The learner's kernel calls that left their helper idle while the updater held a core.
    qtopt_kernel_calls_alone_share: qtopt.aloneShare === null ? null : round(qtopt.aloneShare, 3),
    qtopt_step_phases: {
      bellman_targets_ms: round(qtopt.targets.wall),
      bellman_targets_cpu_ms: round(qtopt.targets.cpu),
      // The rest of the step, where the targets are part of it; with an updater they overlap it.
      gradient_step_ms: qtopt.aheadShare > 0 ? null : round(Math.max(0, qtopt.gradient.wall - qtopt.targets.wall)),
      gradient_step_cpu_ms: qtopt.aheadShare > 0 ? null : round(Math.max(0, qtopt.gradient.cpu - qtopt.targets.cpu)),
    },
    qtopt_step_vs_reference: round(qtopt.gradient.wall / step.ms, 2),
    // Each round's QT-Opt median over its reference median, the two timed one after the other: median and range.
    ...(paired ? { qtopt_step_vs_reference_paired: round(median(paired), 2), qtopt_step_vs_reference_paired_range: [round(Math.min(...paired), 2), round(Math.max(...paired), 2)] } : {}),
    qtopt_step_cpu_vs_reference: round(qtopt.gradient.cpu / step.cpuMs, 2),
    qtopt_tensors_leaked: qtopt.leaks,
    reference_forward_ms: round(forward.ms),
    reference_grads_ms: round(grads.ms),
    reference_cem_eval_ms: round(cem.ms),
    cem_samples: CEM_SAMPLES,
    tensors_leaked_per_step: (tensorsAfter - tensorsBefore) / (opts.warmup + opts.iters),
    ...load.end(),
  };
  if (kernels) result.kernel_ms = kernels;
  if (parts) result.breakdown_cpu_ms = parts;
  if (soaked) Object.assign(result, soaked);

  if (opts.peer) {
    log(opts, 'bench train: running the PyTorch peer');
    const peer = runPeer(opts);
    if (peer.result) {
      const p = peer.result;
      Object.assign(result, {
        pytorch_train_step_ms: round(Number(p.train_step_ms)),
        pytorch_train_step_cpu_ms: round(Number(p.train_step_cpu_ms)),
        pytorch_forward_ms: round(Number(p.forward_ms)),
        pytorch_cem_eval_ms: round(Number(p.cem_eval_ms)),
        pytorch_threads: p.threads,
        pytorch_version: p.torch_version,
        train_step_vs_pytorch: round(step.ms / Number(p.train_step_ms), 2),
        train_step_cpu_vs_pytorch: round(step.cpuMs / Number(p.train_step_cpu_ms), 2),
      });
    } else {
      result.pytorch_note = peer.note;
    }
  }

  for (const t of [images, state, actions, targets, oneImage, oneState, cemActions]) t.dispose();
  optimizer.dispose();
  net.dispose();
  emit(opts, result);
}
