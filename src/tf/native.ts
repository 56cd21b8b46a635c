/**
 * Native convolution kernels for the wasm backend in Node (./native/conv.cc, built by
 * scripts/build-native.sh into dist/native/). They run on tfjs-wasm's own heap through
 * Float32Array views, so tensors stay where they are, and take over Conv2D, FusedConv2D
 * (bias, ReLU), both convolution gradients and the ReLU-and-bias gradient where the shapes
 * suit them (16, 32, 48 or 64 output channels, NHWC, no dilation), and the max-pool gradient
 * where windows tile the input, and the matrix products (BatchMatMul, _FusedMatMul) of single
 * matrices; everything else keeps the wasm kernels (wasm's MaxPoolGrad is a generic C++ loop:
 * 92 ms for the pooled network's first layer at batch 32). They also
 * add HEAD_SCORES, the Q-head at inference that CEM calls once per iteration, and
 * LOOKUP_SAMPLE with its gradient, a lookup network's read of its maps. Each thread's
 * kernels run on setNativeThreads(k) threads, with the same results for every k.
 *
 * Why: XNNPACK in wasm has 128-bit SIMD and no FMA; the same loops compiled for the CPU
 * (AVX-512, or AVX2 with FMA, in vectors of the CPU's own width) do a train step's convolutions several times faster
 * (docs/benchmarks.md). `PINCER_NATIVE=0` turns them off, to compare or to rule them out.
 *
 * Node only: the browser page never imports this file.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { ADAM_UPDATE, HEAD_SCORES, LOOKUP_HEAD_SCORES, LOOKUP_SAMPLE, LOOKUP_SAMPLE_GRAD, RELU_BIAS_GRAD, UNIT_IMAGES, replaceKernel, type KernelArgs, type WasmHeap } from './kernels.js';

interface NativeConv {
  conv2d(x: Float32Array, filter: Float32Array, bias: Float32Array | null, out: Float32Array, dims: Int32Array, relu: boolean): void;
  filterGrad(x: Float32Array, dy: Float32Array, dw: Float32Array, dims: Int32Array): void;
  inputGrad(dy: Float32Array, filter: Float32Array, dx: Float32Array, dims: Int32Array): void;
  reluBiasGrad(dy: Float32Array, y: Float32Array, dz: Float32Array, db: Float32Array): void;
  maxPoolGrad(dy: Float32Array, x: Float32Array, dx: Float32Array, dims: Int32Array): void;
  matMul(a: Float32Array, b: Float32Array, bias: Float32Array | null, out: Float32Array, dims: Int32Array): void;
  headScores(...arrays: [...Float32Array[], Int32Array]): void;
  lookupSample(embeddings: Float32Array, points: Float32Array, out: Float32Array, dims: Int32Array): void;
  lookupSampleGrad(dy: Float32Array, points: Float32Array, dembeddings: Float32Array, dims: Int32Array): void;
  lookupHeadScores(...arrays: [...Float32Array[], Int32Array]): void;
  unitImages(bytes: Uint8Array, out: Float32Array): void;
  adam(theta: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, out: Float32Array, params: Float64Array): void;
  setThreads(threads: number): void;
  claimCore(): void;
  releaseCore(): void;
  coreState(): NativeCoreState;
  /** Floats per vector the kernels were compiled for (16 AVX-512, 8 AVX2, 4 SSE or NEON). */
  readonly lanes: number;
}

/** Output channel counts the native kernels are built for. */
const NATIVE_CHANNELS = new Set([16, 32, 48, 64]);
/** The input gradient keeps a filter row (KW·CI values) in registers: at most 12 groups of 16 floats. */
const MAX_ROW = 192;

/** Both src/tf and dist/tf are two levels below the package root. */
const ADDON = fileURLToPath(new URL('../../dist/native/pincer-conv.node', import.meta.url));

let state: { conv: NativeConv | null; why: string } | null = null;

/** The addon, or null and why not (turned off, not built, or failed to load). */
function load(): { conv: NativeConv | null; why: string } {
  if (state) return state;
  if (process.env.PINCER_NATIVE === '0') state = { conv: null, why: 'PINCER_NATIVE=0' };
  else if (!existsSync(ADDON)) state = { conv: null, why: `${ADDON} not built (npm run build builds it)` };
  else {
    try {
      state = { conv: createRequire(import.meta.url)(ADDON) as NativeConv, why: '' };
    } catch (err) {
      state = { conv: null, why: (err instanceof Error ? err.message : String(err)).split('\n')[0]! };
    }
  }
  return state;
}

let registered = false;

/**
 * Put the native kernels in front of the wasm ones, once per thread; call after
 * registerWasmKernels and before anything captures FusedConv2D. Returns null when they
 * are in use, else why not.
 */
export function registerNativeKernels(): string | null {
  const { conv, why } = load();
  if (!conv) return why;
  if (registered) return null;
  registered = true;
  replaceKernel('Conv2D', (original) => (args) => forward(conv, args, false) ?? original(args as never));
  replaceKernel('FusedConv2D', (original) => (args) => forward(conv, args, true) ?? original(args as never));
  replaceKernel('Conv2DBackpropFilter', (original) => (args) => filterGrad(conv, args) ?? original(args as never));
  replaceKernel('Conv2DBackpropInput', (original) => (args) => inputGrad(conv, args) ?? original(args as never));
  replaceKernel(RELU_BIAS_GRAD, (original) => (args) => reluBiasGrad(conv, args) ?? original(args as never));
  replaceKernel('MaxPoolGrad', (original) => (args) => maxPoolGrad(conv, args) ?? original(args as never));
  replaceKernel('BatchMatMul', (original) => (args) => matMul(conv, args, false) ?? original(args as never));
  replaceKernel('_FusedMatMul', (original) => (args) => matMul(conv, args, true) ?? original(args as never));
  tf.registerKernel({ kernelName: HEAD_SCORES, backendName: 'wasm', kernelFunc: ((args: KernelArgs) => headScores(conv, args)) as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: ADAM_UPDATE, backendName: 'wasm', kernelFunc: ((args: KernelArgs) => adamUpdate(conv, args)) as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: UNIT_IMAGES, backendName: 'wasm', kernelFunc: ((args: KernelArgs) => unitImages(conv, args)) as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: LOOKUP_SAMPLE, backendName: 'wasm', kernelFunc: ((args: KernelArgs) => lookupSample(conv, args, false)) as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: LOOKUP_SAMPLE_GRAD, backendName: 'wasm', kernelFunc: ((args: KernelArgs) => lookupSample(conv, args, true)) as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: LOOKUP_HEAD_SCORES, backendName: 'wasm', kernelFunc: ((args: KernelArgs) => lookupHeadScores(conv, args)) as unknown as tf.KernelFunc });
  if (!tf.getGradient(LOOKUP_SAMPLE)) {
    tf.registerGradient({
      kernelName: LOOKUP_SAMPLE,
      inputsToSave: ['embeddings', 'points'],
      gradFunc: (dy, saved, attrs) => {
        const [embeddings, points] = saved as [tf.Tensor, tf.Tensor];
        return {
          embeddings: () => tf.engine().runKernel(LOOKUP_SAMPLE_GRAD, { dy: dy as tf.Tensor, points, embeddings }, attrs) as tf.Tensor,
          // The points come from the state and the actions, never from a weight.
          points: () => tf.zerosLike(points),
        };
      },
    });
  }
  return null;
}

/** Floats per vector of the built kernels (16 AVX-512, 8 AVX2, 4 SSE or NEON), or null without them. */
export function nativeVectorLanes(): number | null {
  return load().conv?.lanes ?? null;
}

/**
 * Run this thread's native kernels on `threads` threads (the caller and threads − 1 helpers).
 * Results are the same bits for any count (conv.cc splits the work into units that do not
 * depend on it). Returns false when the native kernels are not in use.
 */
export function setNativeThreads(threads: number): boolean {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`native kernel threads must be a positive integer, got ${threads}`);
  const { conv } = load();
  if (!conv) return false;
  conv.setThreads(threads);
  return true;
}

/** Who holds the process's cores, as this thread's kernels see it (conv.cc `coreState`). */
export interface NativeCoreState {
  /** Cores claimed by calling threads, in the whole process. */
  readonly claimed: number;
  /** Whether this thread holds one of them. */
  readonly mine: boolean;
  /** This thread's kernel calls with helpers that shared their units out with them. */
  readonly shared: number;
  /** This thread's kernel calls with helpers that ran on this thread alone, another thread holding a core. */
  readonly alone: number;
}

/**
 * Run `work` holding a core of the process: meanwhile other threads' native kernels leave
 * their helpers idle (asleep, not spinning), so that a thread computing beside them (the
 * Bellman updater) is not one of three on two cores. Results are unchanged: a kernel gives
 * the same bits on its caller alone as with helpers. Without the native kernels it just runs `work`.
 */
export function withClaimedCore<T>(work: () => T): T {
  const { conv } = load();
  if (!conv) return work();
  conv.claimCore();
  try {
    return work();
  } finally {
    conv.releaseCore();
  }
}

/** Who holds the process's cores (see withClaimedCore); null without the native kernels. */
export function nativeCoreState(): NativeCoreState | null {
  return load().conv?.coreState() ?? null;
}

interface ConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
  filterShape?: [number, number, number, number];
  inputShape?: [number, number, number, number];
}

/** The 13 sizes native/conv.cc reads, or null when the convolution is not one it handles. */
function dimsOf(xShape: number[], filterShape: number[], attrs: ConvAttrs): Int32Array | null {
  if (attrs.dataFormat === 'NCHW') return null;
  const dilations = attrs.dilations ?? 1;
  if (dilations !== 1 && !(Array.isArray(dilations) && dilations[0] === 1 && dilations[1] === 1)) return null;
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { top, left } = info.padInfo;
  if (!NATIVE_CHANNELS.has(info.outChannels) || top < 0 || left < 0) return null;
  return Int32Array.from([
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    top,
    left,
  ]);
}

function forward(conv: NativeConv, args: KernelArgs, fused: boolean): tf.TensorInfo | null {
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const attrs = args.attrs as unknown as ConvAttrs;
  const activation = fused ? (attrs.activation ?? 'linear') : 'linear';
  if (!x || !filter || preluActivationWeights || (activation !== 'linear' && activation !== 'relu')) return null;
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== filter.shape[3])) return null;
  const dims = dimsOf(x.shape, filter.shape, attrs);
  if (!dims) return null;
  const heap = args.backend as WasmHeap;
  const out = heap.makeOutput([dims[0]!, dims[4]!, dims[5]!, dims[6]!], 'float32');
  // Views only after every allocation: growing the wasm memory detaches earlier views.
  conv.conv2d(heap.typedArrayFromHeap(x), heap.typedArrayFromHeap(filter), bias ? heap.typedArrayFromHeap(bias) : null, heap.typedArrayFromHeap(out), dims, activation === 'relu');
  return out;
}

function filterGrad(conv: NativeConv, args: KernelArgs): tf.TensorInfo | null {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvAttrs;
  const dims = dimsOf(x.shape, attrs.filterShape!, attrs);
  if (!dims) return null;
  const heap = args.backend as WasmHeap;
  const out = heap.makeOutput(attrs.filterShape!, 'float32');
  conv.filterGrad(heap.typedArrayFromHeap(x), heap.typedArrayFromHeap(dy), heap.typedArrayFromHeap(out), dims);
  return out;
}

function inputGrad(conv: NativeConv, args: KernelArgs): tf.TensorInfo | null {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvAttrs;
  const dims = dimsOf(attrs.inputShape!, filter.shape, attrs);
  if (!dims || dims[8]! * dims[3]! > MAX_ROW) return null;
  const heap = args.backend as WasmHeap;
  const out = heap.makeOutput(attrs.inputShape!, 'float32');
  conv.inputGrad(heap.typedArrayFromHeap(dy), heap.typedArrayFromHeap(filter), heap.typedArrayFromHeap(out), dims);
  return out;
}

function reluBiasGrad(conv: NativeConv, args: KernelArgs): tf.TensorInfo[] | null {
  const { dy, y } = args.inputs as { dy: tf.TensorInfo; y: tf.TensorInfo };
  const c = dy.shape[dy.shape.length - 1]!;
  if (!NATIVE_CHANNELS.has(c)) return null;
  const heap = args.backend as WasmHeap;
  const dz = heap.makeOutput(dy.shape, 'float32');
  const db = heap.makeOutput([c], 'float32');
  conv.reluBiasGrad(heap.typedArrayFromHeap(dy), heap.typedArrayFromHeap(y), heap.typedArrayFromHeap(dz), heap.typedArrayFromHeap(db));
  return [dz, db];
}

/**
 * BatchMatMul or _FusedMatMul (bias, ReLU) of two float32 matrices, transposed or not, each
 * [M, K] or with leading dimensions of 1; batches of several matrices keep wasm's kernel.
 */
function matMul(conv: NativeConv, args: KernelArgs, fused: boolean): tf.TensorInfo | null {
  const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const { transposeA, transposeB, activation = 'linear' } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean; activation?: string };
  if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32' || preluActivationWeights) return null;
  if (fused && activation !== 'linear' && activation !== 'relu') return null;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  if (!outerA.every((d) => d === 1) || !outerB.every((d) => d === 1)) return null;
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const [m, k] = transposeA ? [ac, ar] : [ar, ac];
  const [kb, n] = transposeB ? [bc, br] : [br, bc];
  // A mismatch is wasm's kernel's to report.
  if (k !== kb || m < 1 || n < 1 || k < 1) return null;
  if (bias && (bias.shape.at(-1) !== n || tf.util.sizeFromShape(bias.shape) !== n)) return null;
  const heap = args.backend as WasmHeap;
  const outer = outerA.length >= outerB.length ? outerA : outerB;
  const out = heap.makeOutput([...outer, m, n], 'float32');
  const dims = Int32Array.from([m, n, k, transposeA ? 1 : 0, transposeB ? 1 : 0, fused && activation === 'relu' ? 1 : 0]);
  conv.matMul(heap.typedArrayFromHeap(a), heap.typedArrayFromHeap(b), bias ? heap.typedArrayFromHeap(bias) : null, heap.typedArrayFromHeap(out), dims);
  return out;
}

/** Inputs of HEAD_SCORES in the order conv.cc's headScores reads them. */
const HEAD_INPUTS = ['embedding', 'actions', 'actionWeight', 'actionBias', 'actionToHead', 'outWeight', 'outBias'] as const;

function headScores(conv: NativeConv, args: KernelArgs): tf.TensorInfo {
  const inputs = args.inputs as Record<(typeof HEAD_INPUTS)[number], tf.TensorInfo>;
  const [b, u] = inputs.embedding.shape as [number, number];
  const [r, a] = inputs.actions.shape as [number, number];
  const ua = inputs.actionBias.shape[0]!;
  const heap = args.backend as WasmHeap;
  const out = heap.makeOutput([r], 'float32');
  conv.headScores(...HEAD_INPUTS.map((name) => heap.typedArrayFromHeap(inputs[name])), heap.typedArrayFromHeap(out), Int32Array.from([b, r, a, ua, u]));
  return out;
}

/** LOOKUP_SAMPLE (embeddings, points → [R, K]) or, with `grad`, LOOKUP_SAMPLE_GRAD (dy, points, embeddings → their gradient). */
function lookupSample(conv: NativeConv, args: KernelArgs, grad: boolean): tf.TensorInfo {
  const { embeddings, points, dy } = args.inputs as { embeddings: tf.TensorInfo; points: tf.TensorInfo; dy?: tf.TensorInfo };
  const { height, width, channels, offset } = args.attrs as unknown as { height: number; width: number; channels: number; offset: number };
  const [b, e] = embeddings.shape as [number, number];
  const r = points.shape[0]!;
  const heap = args.backend as WasmHeap;
  const dims = Int32Array.from([b, r, height, width, channels, e, offset]);
  if (grad) {
    const out = heap.makeOutput(embeddings.shape, 'float32');
    conv.lookupSampleGrad(heap.typedArrayFromHeap(dy!), heap.typedArrayFromHeap(points), heap.typedArrayFromHeap(out), dims);
    return out;
  }
  const out = heap.makeOutput([r, channels], 'float32');
  conv.lookupSample(heap.typedArrayFromHeap(embeddings), heap.typedArrayFromHeap(points), heap.typedArrayFromHeap(out), dims);
  return out;
}

/** Inputs of LOOKUP_HEAD_SCORES in the order conv.cc's lookupHeadScores reads them; cos to across are absent without grasp points. */
const LOOKUP_HEAD_INPUTS = ['embedding', 'actions', 'cos', 'sin', 'along', 'across', 'cameraXY', 'cameraOffset', 'lookupKernel', ...HEAD_INPUTS.slice(2)] as const;

function lookupHeadScores(conv: NativeConv, args: KernelArgs): tf.TensorInfo {
  const inputs = args.inputs as Record<(typeof LOOKUP_HEAD_INPUTS)[number], tf.TensorInfo | undefined>;
  const { headUnits, channels, points, maps, moveScale, positionUnit } = args.attrs as unknown as {
    headUnits: number;
    channels: number;
    points: number;
    maps: [number, number, number][];
    moveScale: number;
    positionUnit: number;
  };
  const [b, e] = inputs.embedding!.shape as [number, number];
  const [r, a] = inputs.actions!.shape as [number, number];
  const ua = inputs.actionBias!.shape[0]!;
  const heap = args.backend as WasmHeap;
  const out = heap.makeOutput([r], 'float32');
  const none = new Float32Array(0);
  const arrays = LOOKUP_HEAD_INPUTS.map((name) => (inputs[name] ? heap.typedArrayFromHeap(inputs[name]) : none));
  const dims = Int32Array.from([b, r, a, ua, headUnits, e, channels, points, maps.length, ...maps.flat()]);
  conv.lookupHeadScores(...arrays, Float32Array.of(moveScale, positionUnit), heap.typedArrayFromHeap(out), dims);
  return out;
}

function unitImages(conv: NativeConv, args: KernelArgs): tf.TensorInfo {
  const { bytes, shape } = args.attrs as unknown as { bytes: Uint8Array; shape: number[] };
  const heap = args.backend as WasmHeap;
  const out = heap.makeOutput(shape, 'float32');
  conv.unitImages(bytes, heap.typedArrayFromHeap(out));
  return out;
}

function adamUpdate(conv: NativeConv, args: KernelArgs): tf.TensorInfo {
  const { theta, grad } = args.inputs as { theta: tf.TensorInfo; grad: tf.TensorInfo };
  const { m, v, params } = args.attrs as unknown as { m: Float32Array; v: Float32Array; params: Float64Array };
  const heap = args.backend as WasmHeap;
  const out = heap.makeOutput(theta.shape, 'float32');
  conv.adam(heap.typedArrayFromHeap(theta), heap.typedArrayFromHeap(grad), m, v, heap.typedArrayFromHeap(out), params);
  return out;
}

function maxPoolGrad(conv: NativeConv, args: KernelArgs): tf.TensorInfo | null {
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const attrs = args.attrs as unknown as { filterSize: [number, number] | number; strides: [number, number] | number; pad: ConvAttrs['pad']; dimRoundingMode?: ConvAttrs['dimRoundingMode'] };
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const { top, left } = info.padInfo;
  if (info.filterHeight !== info.strideHeight || info.filterWidth !== info.strideWidth || top < 0 || left < 0) return null;
  const heap = args.backend as WasmHeap;
  const out = heap.makeOutput(input.shape, 'float32');
  const dims = Int32Array.from([info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.filterHeight, info.filterWidth, top, left]);
  conv.maxPoolGrad(heap.typedArrayFromHeap(dy), heap.typedArrayFromHeap(input), heap.typedArrayFromHeap(out), dims);
  return out;
}
