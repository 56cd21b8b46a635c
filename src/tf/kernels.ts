/**
 * Kernels for tfjs-backend-wasm 4.22: the one training needs and wasm lacks
 * (Conv2DBackpropFilter), and faster replacements for wasm kernels whose
 * generic C++ loops dominate a training step (Conv2DBackpropInput, and
 * BatchMatMul/_FusedMatMul with transposed operands). Each replacement is
 * written with other wasm kernels, mostly XNNPACK convolutions and matMuls.
 * Identity shares its input's memory instead of copying it, and GatherV2 copies whole slices.
 *
 * Shape legend: N batch, H W input height/width, OH OW output height/width,
 * KH KW filter size, CI input channels, CO output channels, S stride.
 */
import * as tf from '@tensorflow/tfjs';

type Padding = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

interface ConvGradAttrs {
  strides: [number, number] | number;
  pad: Padding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: Rounding;
}

export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}

let registered = false;

/**
 * Register pincer's wasm kernels once per process. Call after the wasm backend
 * is initialised: the replaced kernels keep calling the originals, whose
 * setup ran at backend initialisation.
 */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: backpropFilterKernel as tf.KernelFunc });
  }
  tf.registerKernel({ kernelName: RELU_BIAS_GRAD, backendName: 'wasm', kernelFunc: reluBiasGradKernel as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: PHASE_FILTERS, backendName: 'wasm', kernelFunc: phaseFiltersKernel as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: INTERLEAVE, backendName: 'wasm', kernelFunc: interleaveKernel as unknown as tf.KernelFunc });
  replaceKernel('Conv2DBackpropInput', (original) => (args) => backpropInputKernel(args, original));
  replaceKernel('BatchMatMul', (original) => (args) => matMulKernel(args, original));
  replaceKernel('_FusedMatMul', (original) => (args) => matMulKernel(args, original));
  replaceKernel('Identity', (original) => (args) => sharedIdentity(args) ?? original(args as never));
  replaceKernel('GatherV2', (original) => (args) => gatherRows(args) ?? original(args as never));
}

/** The parts of tfjs-backend-wasm's BackendWasm that share memory between tensors. */
interface RefCounted {
  incRef(dataId: tf.DataId): void;
}

/**
 * Identity as a second reference to the same memory, as the cpu and webgl backends do it
 * (wasm's Reshape already does). wasm's own Identity copies, and the engine runs it on
 * every tensor a gradient saves (tf.clone): a train step's activations were copied once
 * more. Tensors are immutable (a variable's assign swaps in new memory), so sharing is safe.
 */
function sharedIdentity(args: KernelArgs): tf.TensorInfo | null {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === 'string') return null;
  (args.backend as RefCounted).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * GatherV2 (batchDims 0) as one copy of each gathered slice: out[o, j, …] = x[o, indices[j], …].
 * wasm's own took 9.8 ms to gather 31 of a batch's 32 next images (the Bellman targets keep the
 * rows that bootstrap). Indices out of range are left to wasm's kernel to report.
 */
function gatherRows(args: KernelArgs): tf.TensorInfo | null {
  const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
  const { axis, batchDims } = args.attrs as unknown as { axis: number; batchDims: number };
  if (batchDims !== 0 || (x.dtype !== 'float32' && x.dtype !== 'int32') || indices.dtype !== 'int32') return null;
  const heap = args.backend as WasmHeap;
  const at = axis < 0 ? axis + x.shape.length : axis;
  const size = x.shape[at]!;
  const outer = tf.util.sizeFromShape(x.shape.slice(0, at));
  const inner = tf.util.sizeFromShape(x.shape.slice(at + 1));
  const index = heap.typedArrayFromHeap(indices) as unknown as Int32Array;
  if (index.some((i) => i < 0 || i >= size)) return null;
  const picked = Int32Array.from(index);
  const out = heap.makeOutput([...x.shape.slice(0, at), ...indices.shape, ...x.shape.slice(at + 1)], x.dtype);
  // Views only after the allocation: growing the wasm memory detaches earlier views.
  const from = heap.typedArrayFromHeap(x);
  const to = heap.typedArrayFromHeap(out);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < picked.length; j++) {
      const start = (o * size + picked[j]!) * inner;
      to.set(from.subarray(start, start + inner), (o * picked.length + j) * inner);
    }
  }
  return out;
}

/** Register `wrap(original)` in place of wasm's kernel `name`. */
export function replaceKernel(name: string, wrap: (original: tf.KernelFunc) => (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[]): void {
  const original = tf.getKernel(name, 'wasm');
  if (!original) throw new Error(`wasm kernel ${name} missing`);
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: wrap(original.kernelFunc) as tf.KernelFunc });
}

/** Run a tf computation inside a kernel and hand its result to the engine as the kernel's output. */
function asOutput(compute: () => tf.Tensor): tf.TensorInfo {
  return tf.tidy(compute);
}

// ---------------------------------------------------------------------------
// Conv2DBackpropFilter

function backpropFilterKernel(args: KernelArgs): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.Tensor4D; dy: tf.Tensor4D };
  const attrs = args.attrs as unknown as ConvGradAttrs & { filterShape: [number, number, number, number] };
  if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter on wasm supports NHWC only');
  return asOutput(() => conv2dFilterGrad(x, dy, attrs.filterShape, attrs.strides, attrs.pad, attrs.dimRoundingMode));
}

/**
 * dW[kh,kw,ci,co] = Σ_{n,i,j} x_pad[n, i·S+kh, j·S+kw, ci] · dy[n,i,j,co], which is
 * itself a convolution: the padded input seen as CI images of N channels,
 * convolved with dy seen as an [OH, OW, N, CO] filter at dilation S.
 */
export function conv2dFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: [number, number] | number,
  pad: Padding,
  dimRoundingMode?: Rounding,
): tf.Tensor4D {
  const [kh, kw, ci, co] = filterShape;
  const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode);
  const { top, left } = info.padInfo;
  const { strideHeight: sh, strideWidth: sw, inHeight, inWidth, outHeight, outWidth } = info;
  // Pad only as far as the taps reach, so the result is exactly [CI, KH, KW, CO]
  // ('same' can pad a row/column the forward pass never reads; 'valid' can leave one unread).
  const bottom = kh + sh * (outHeight - 1) - inHeight - top;
  const right = kw + sw * (outWidth - 1) - inWidth - left;
  return tf.tidy(() => {
    let images = tf.transpose(x, [3, 1, 2, 0]); // [CI, H, W, N]
    if (bottom < 0 || right < 0) {
      images = tf.slice(images, [0, 0, 0, 0], [ci, inHeight + Math.min(0, bottom), inWidth + Math.min(0, right), images.shape[3]]);
    }
    const filter = tf.transpose(dy, [1, 2, 0, 3]); // [OH, OW, N, CO]
    const padding: tf.backend_util.ExplicitPadding = [[0, 0], [top, Math.max(0, bottom)], [left, Math.max(0, right)], [0, 0]];
    const grad = tf.conv2d(images, filter, 1, padding, 'NHWC', [sh, sw]); // [CI, KH, KW, CO]
    return tf.transpose(grad, [1, 2, 0, 3]) as tf.Tensor4D; // [KH, KW, CI, CO]
  });
}

// ---------------------------------------------------------------------------
// Conv2DBackpropInput

function backpropInputKernel(args: KernelArgs, original: tf.KernelFunc): tf.TensorInfo {
  const { dy, filter } = args.inputs as { dy: tf.Tensor4D; filter: tf.Tensor4D };
  const attrs = args.attrs as unknown as ConvGradAttrs & { inputShape: [number, number, number, number] };
  const info = tf.backend_util.computeConv2DInfo(attrs.inputShape, filter.shape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const fast = attrs.dataFormat !== 'NCHW' && info.inHeight % info.strideHeight === 0 && info.inWidth % info.strideWidth === 0;
  if (!fast) return original(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  return asOutput(() => conv2dInputGrad(dy, filter, info));
}

/** The filter taps that reach one output phase r of a strided convolution along one axis. */
interface Phase {
  /** First tap index a0 with (r + padBefore - a0) divisible by the stride. */
  first: number;
  /** Number of taps T: a0, a0+S, ... < K. */
  taps: number;
  /** Padding of dy before the phase's stride-1 correlation (may be negative: crop). */
  before: number;
  /** Padding of dy after it (may be negative: crop). */
  after: number;
}

/**
 * Input positions p = S·q + r receive dy[i] · W[a] exactly when a ≡ r + pad (mod S),
 * so each of the S phases is a stride-1 correlation of dy with a sub-filter:
 * dX_r[q] = Σ_t dy[q + d − t] · W[a0 + S·t], with d = (r + pad − a0)/S.
 */
function phasesAlongAxis(size: number, kernel: number, stride: number, padBefore: number, outSize: number): Phase[] {
  const phases: Phase[] = [];
  const q = size / stride; // outputs per phase (size is a multiple of the stride)
  for (let r = 0; r < stride; r++) {
    const first = (((r + padBefore) % stride) + stride) % stride;
    const taps = first < kernel ? Math.ceil((kernel - first) / stride) : 0;
    const d = (r + padBefore - first) / stride;
    const before = taps - 1 - d;
    const after = q - outSize - before + taps - 1;
    phases.push({ first, taps, before, after });
  }
  return phases;
}

/**
 * dX via the phase decomposition: S·S stride-1 convolutions of dy with
 * sub-filters (XNNPACK), then interleaved. No multiply by an
 * inserted zero, unlike the dilate-then-convolve formulation.
 */
export function conv2dInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, inHeight, inWidth, inChannels, batchSize } = info;
  if (inHeight % sh !== 0 || inWidth % sw !== 0) {
    // Phases of unequal length: the backend's own kernel (on wasm, its C++ loop).
    const { top, bottom, left, right } = info.padInfo;
    const attrs = { strides: [sh, sw], pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dataFormat: 'NHWC', inputShape: info.inShape };
    return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
  const rows = phasesAlongAxis(inHeight, kh, sh, info.padInfo.top, info.outHeight);
  const cols = phasesAlongAxis(inWidth, kw, sw, info.padInfo.left, info.outWidth);
  return tf.tidy(() => {
    const subs = phaseFilters(filter, rows, cols);
    const parts: tf.Tensor4D[] = [];
    let next = 0;
    for (const row of rows) {
      for (const col of cols) {
        if (row.taps === 0 || col.taps === 0) parts.push(tf.zeros([batchSize, inHeight / sh, inWidth / sw, inChannels]));
        else parts.push(phaseConv(dy, subs[next++]!, row, col));
      }
    }
    if (parts.length === 1) return parts[0]!;
    return interleavePhases(parts, sh, sw);
  });
}

const PHASE_FILTERS = 'PincerPhaseFilters';

/**
 * The sub-filter of each phase (row, col) with taps on both axes, in row-major
 * phase order: sub[u, v, co, ci] = W[a0 + S·(T−1−u), b0 + S·(T'−1−v), ci, co]
 * (the phase's taps, flipped, channels swapped), shape [T, T', CO, CI].
 * On wasm one JS pass over the (small) filter; elsewhere reverse, transpose and
 * one strided slice per phase (eight slow kernels on wasm).
 */
function phaseFilters(filter: tf.Tensor4D, rows: Phase[], cols: Phase[]): tf.Tensor4D[] {
  const [kh, kw] = filter.shape;
  const sh = rows.length;
  const sw = cols.length;
  if (tf.getKernel(PHASE_FILTERS, tf.getBackend())) {
    const attrs = { rowFirst: rows.map((r) => r.first), rowTaps: rows.map((r) => r.taps), colFirst: cols.map((c) => c.first), colTaps: cols.map((c) => c.taps) };
    const out = tf.engine().runKernel(PHASE_FILTERS, { filter }, attrs as unknown as tf.NamedAttrMap);
    return (Array.isArray(out) ? out : [out]) as tf.Tensor4D[];
  }
  return tf.tidy(() => {
    // Flipped taps, channels swapped: wFlip[u, v, co, ci] = W[KH-1-u, KW-1-v, ci, co].
    const wFlip = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]);
    const subs: tf.Tensor4D[] = [];
    for (const row of rows) {
      for (const col of cols) {
        if (row.taps === 0 || col.taps === 0) continue;
        // Taps a0 + S·t, flipped: indices KH-1-a0-S·(T-1) ... KH-1-a0 of wFlip, step S.
        const r0 = kh - 1 - row.first - sh * (row.taps - 1);
        const c0 = kw - 1 - col.first - sw * (col.taps - 1);
        const end = [r0 + sh * (row.taps - 1) + 1, c0 + sw * (col.taps - 1) + 1, wFlip.shape[2], wFlip.shape[3]];
        subs.push(tf.stridedSlice(wFlip, [r0, c0, 0, 0], end, [sh, sw, 1, 1]) as tf.Tensor4D);
      }
    }
    return subs;
  });
}

interface PhaseFilterAttrs {
  rowFirst: number[];
  rowTaps: number[];
  colFirst: number[];
  colTaps: number[];
}

function phaseFiltersKernel(args: { inputs: { filter: tf.TensorInfo }; backend: WasmHeap; attrs: PhaseFilterAttrs }): tf.TensorInfo[] {
  const { filter } = args.inputs;
  const { rowFirst, rowTaps, colFirst, colTaps } = args.attrs;
  const [, kw, ci, co] = filter.shape as [number, number, number, number];
  const sh = rowFirst.length;
  const sw = colFirst.length;
  const outs: { info: tf.TensorInfo; r: number; c: number }[] = [];
  for (let r = 0; r < sh; r++) {
    for (let c = 0; c < sw; c++) {
      if (rowTaps[r]! > 0 && colTaps[c]! > 0) outs.push({ info: args.backend.makeOutput([rowTaps[r]!, colTaps[c]!, co, ci], 'float32'), r, c });
    }
  }
  // Views only after every allocation (see reluBiasGradKernel).
  const w = args.backend.typedArrayFromHeap(filter);
  for (const { info, r, c } of outs) {
    const sub = args.backend.typedArrayFromHeap(info);
    const [tr, tc] = [rowTaps[r]!, colTaps[c]!];
    let o = 0;
    for (let u = 0; u < tr; u++) {
      const a = rowFirst[r]! + sh * (tr - 1 - u);
      for (let v = 0; v < tc; v++) {
        const b = colFirst[c]! + sw * (tc - 1 - v);
        const tap = (a * kw + b) * ci * co;
        for (let oc = 0; oc < co; oc++) {
          for (let ic = 0; ic < ci; ic++) sub[o++] = w[tap + ic * co + oc]!;
        }
      }
    }
  }
  return outs.map((x) => x.info);
}

const INTERLEAVE = 'PincerInterleavePhases';

/**
 * out[n, S·i + r, S·j + c, :] = parts[r·Sw + c][n, i, j, :] for S·S phase images
 * of shape [N, h, w, C]. On wasm one JS pass over the heap; elsewhere a concat
 * and a transpose (wasm's Concat along channels and its DepthToSpace are slow loops).
 */
function interleavePhases(parts: tf.Tensor4D[], sh: number, sw: number): tf.Tensor4D {
  const [n, h, w, c] = parts[0]!.shape;
  if (tf.getKernel(INTERLEAVE, tf.getBackend())) {
    const inputs = Object.fromEntries(parts.map((p, i) => [`p${i}`, p]));
    return tf.engine().runKernel(INTERLEAVE, inputs, { sh, sw } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
  const phased = tf.concat(parts, 3); // [N, h, w, (r, c, C)]
  const split = tf.reshape(phased, [n, h, w, sh, sw * c]); // [N, h, w, S, S·C]
  return tf.reshape(tf.transpose(split, [0, 1, 3, 2, 4]), [n, h * sh, w * sw, c]);
}

function interleaveKernel(args: { inputs: Record<string, tf.TensorInfo>; backend: WasmHeap; attrs: { sh: number; sw: number } }): tf.TensorInfo {
  const { sh, sw } = args.attrs;
  const infos = Array.from({ length: sh * sw }, (_, i) => args.inputs[`p${i}`]!);
  const [n, h, w, c] = infos[0]!.shape as [number, number, number, number];
  const outInfo = args.backend.makeOutput([n, h * sh, w * sw, c], 'float32');
  // One view of the whole wasm heap: each run of C values moves with copyWithin (a memmove).
  const out = args.backend.typedArrayFromHeap(outInfo);
  const heap = new Float32Array(out.buffer);
  const starts = infos.map((t) => args.backend.typedArrayFromHeap(t).byteOffset / 4);
  const outStart = out.byteOffset / 4;
  const rowOut = w * sw * c;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < h; i++) {
      for (let r = 0; r < sh; r++) {
        const outRow = outStart + ((b * h + i) * sh + r) * rowOut;
        for (let col = 0; col < sw; col++) {
          const srcRow = starts[r * sw + col]! + (b * h + i) * w * c;
          for (let j = 0; j < w; j++) {
            const q = srcRow + j * c;
            heap.copyWithin(outRow + (j * sw + col) * c, q, q + c);
          }
        }
      }
    }
  }
  return outInfo;
}

/** Correlate dy with one phase's sub-filter, padding (explicitly, inside the conv) or cropping dy as the phase needs. */
function phaseConv(dy: tf.Tensor4D, sub: tf.Tensor4D, row: Phase, col: Phase): tf.Tensor4D {
  const [n, h, w, c] = dy.shape;
  const cropTop = Math.max(0, -row.before);
  const cropBottom = Math.max(0, -row.after);
  const cropLeft = Math.max(0, -col.before);
  const cropRight = Math.max(0, -col.after);
  const input =
    cropTop || cropBottom || cropLeft || cropRight
      ? tf.slice(dy, [0, cropTop, cropLeft, 0], [n, h - cropTop - cropBottom, w - cropLeft - cropRight, c])
      : dy;
  const padding: tf.backend_util.ExplicitPadding = [
    [0, 0],
    [Math.max(0, row.before), Math.max(0, row.after)],
    [Math.max(0, col.before), Math.max(0, col.after)],
    [0, 0],
  ];
  return tf.conv2d(input, sub, 1, padding);
}

// ---------------------------------------------------------------------------
// ReLU mask and bias gradient in one pass

export const RELU_BIAS_GRAD = 'PincerReluBiasGrad';

/**
 * Q = σ(head) of a QNetwork's dense head for candidate actions, at inference (no gradient):
 * what CEM ranks. Registered only where a backend has a kernel for it (src/tf/native.ts);
 * QNetwork.headScores composes it from tf ops elsewhere.
 */
export const HEAD_SCORES = 'PincerQHeadScores';

/**
 * A lookup network's bilinear read of a conv map where each action leads (QNetConfig.lookup):
 * inputs embeddings [B, E] (each image's map [H·W, K] flattened from column `offset`) and
 * points [R, 2] (u, v in [0, 1] of the image; rows of image b are b·R/B …), attrs height,
 * width, channels and offset; returns [R, K]. Reading in place spares a column slice of the
 * embeddings (wasm's Slice took ~3 ms per map at batch 32). Its gradient to the embeddings
 * is LOOKUP_SAMPLE_GRAD (inputs dy [R, K], points, embeddings for the shape). Registered
 * only by src/tf/native.ts; QNetwork composes the same read from tf ops elsewhere.
 */
export const LOOKUP_SAMPLE = 'PincerLookupSample';
export const LOOKUP_SAMPLE_GRAD = 'PincerLookupSampleGrad';

/**
 * HEAD_SCORES of a lookup network in one kernel: its floor points, their reads of every
 * sampled map and the lookup's dense layer, then the head, for candidate actions at inference.
 * Inputs embedding [B, E], actions [B·N, A], and with grasp points cos and sin of each action's
 * grasp yaw [B·N, 1] and along, across [1, P]; the lookup's camera (cameraXY [2, 3], cameraOffset
 * [3]) and kernel [L·P·K, U]; the head's weights as HEAD_SCORES takes them. Attrs headUnits,
 * channels, points (P), maps ([height, width, offset] each), moveScale, positionUnit.
 * Returns Q [B·N], the same bits as the tf-op composition. Registered only by src/tf/native.ts.
 */
export const LOOKUP_HEAD_SCORES = 'PincerLookupHeadScores';

/**
 * JsAdam's update of one weight as a kernel: inputs theta and grad, attrs m and v (the
 * optimizer's Float32Arrays, updated in place) and params [lr, β1, β2, ε, 1 − β1^t, 1 − β2^t]
 * (Float64Array); returns the new θ. Registered only by src/tf/native.ts; JsAdam loops in
 * JavaScript elsewhere, with the same rounding.
 */
export const ADAM_UPDATE = 'PincerAdamUpdate';

/**
 * Images from bytes: attrs bytes (a Uint8Array) and shape; returns float32 bytes / 255. Registered
 * only by src/tf/native.ts; `unitImages` divides an int32 tensor by 255 elsewhere, to the same bits.
 */
export const UNIT_IMAGES = 'PincerUnitImages';

/**
 * uint8 frames [N·H·W·C] as float32 [N, H, W, C] in [0, 1]. Through int32 and a division, wasm took
 * 1.5 ms for a batch of 32 64×64 frames, twice per learner step; the native kernel ~0.1 ms.
 */
export function unitImages(bytes: Uint8Array, shape: [number, number, number, number]): tf.Tensor4D {
  if (bytes.length !== tf.util.sizeFromShape(shape)) throw new RangeError(`images: ${bytes.length} bytes is not ${shape.join('×')}`);
  if (tf.getKernel(UNIT_IMAGES, tf.getBackend())) {
    return tf.engine().runKernel(UNIT_IMAGES, {}, { bytes, shape } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
  return tf.tidy(() => tf.div(tf.tensor4d(bytes, shape, 'int32'), 255) as tf.Tensor4D);
}

/** The parts of tfjs-backend-wasm's BackendWasm a JS kernel needs. */
export interface WasmHeap {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

/**
 * For y = relu(z + b) with upstream gradient dy [..., C]: dZ = dy·[y > 0] and
 * dB[c] = Σ dZ[..., c]. wasm's Step+Multiply+Sum take three passes, and its Sum
 * over a leading axis transposes first; this is one pass in JS over the wasm
 * heap (no copies), ~10x faster at [32,32,32,32].
 */
export function reluBiasGrad(dy: tf.Tensor, y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
  if (tf.getKernel(RELU_BIAS_GRAD, tf.getBackend())) {
    const [dz, db] = tf.engine().runKernel(RELU_BIAS_GRAD, { dy, y }) as unknown as [tf.Tensor, tf.Tensor1D];
    return [dz, db];
  }
  return tf.tidy(() => {
    const dz = tf.mul(dy, tf.step(y));
    return [dz, tf.sum(tf.reshape(dz, [-1, dy.shape[dy.rank - 1]!]), 0) as tf.Tensor1D];
  });
}

function reluBiasGradKernel(args: { inputs: { dy: tf.TensorInfo; y: tf.TensorInfo }; backend: WasmHeap }): tf.TensorInfo[] {
  const { dy, y } = args.inputs;
  const heap = args.backend;
  const c = dy.shape[dy.shape.length - 1]!;
  const dzInfo = heap.makeOutput(dy.shape, 'float32');
  const dbInfo = heap.makeOutput([c], 'float32');
  // Views only after every allocation: growing the wasm memory detaches earlier views.
  const dyv = heap.typedArrayFromHeap(dy);
  const dz = heap.typedArrayFromHeap(dzInfo);
  const db = heap.typedArrayFromHeap(dbInfo);
  const yv = heap.typedArrayFromHeap(y);
  // The mask from y's bits, without a branch (ReLU masks are ~50 % random: a branch
  // mispredicts half the time, 2x slower): for b = bits(y), (−b >> 31) & ~(b >> 31)
  // is all ones when y > 0 (b > 0) and 0 for +0, −0 and negative y.
  const dyBits = new Int32Array(dyv.buffer, dyv.byteOffset, dyv.length);
  const yBits = new Int32Array(yv.buffer, yv.byteOffset, yv.length);
  const dzBits = new Int32Array(dz.buffer, dz.byteOffset, dz.length);
  const sums = new Float64Array(c);
  for (let base = 0; base < dyv.length; base += c) {
    for (let k = 0; k < c; k++) {
      const i = base + k;
      const b = yBits[i]!;
      dzBits[i] = dyBits[i]! & (-b >> 31) & ~(b >> 31);
      sums[k] += dz[i]!;
    }
  }
  db.set(sums);
  return [dzInfo, dbInfo];
}

// ---------------------------------------------------------------------------
// BatchMatMul / _FusedMatMul

/**
 * wasm multiplies untransposed operands with XNNPACK but falls back to a plain
 * loop when either operand is transposed (~10x slower at 2112x64, the size of
 * the dense gradients). Transposing explicitly first is far cheaper.
 */
function matMulKernel(args: KernelArgs, original: tf.KernelFunc): tf.TensorInfo {
  const attrs = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
  if (!attrs.transposeA && !attrs.transposeB) return original(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  const { a, b } = args.inputs as { a: tf.Tensor; b: tf.Tensor };
  const made: tf.Tensor[] = [];
  const swapLast = (t: tf.Tensor): tf.Tensor => {
    const perm = t.shape.map((_, i) => i);
    perm.splice(-2, 2, perm.length - 1, perm.length - 2);
    const out = tf.transpose(t, perm);
    made.push(out);
    return out;
  };
  const inputs = { ...args.inputs, a: attrs.transposeA ? swapLast(a) : a, b: attrs.transposeB ? swapLast(b) : b };
  try {
    return original({ ...args, inputs, attrs: { ...args.attrs, transposeA: false, transposeB: false } } as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  } finally {
    for (const t of made) t.dispose();
  }
}
