/**
 * The grasp Q-network (QT-Opt style, small): an image encoder, a gripper-state
 * input and an action head, built so the encoder runs once per image and the
 * head scores many candidate actions per image (what CEM needs).
 *
 *   image [B,H,W,C] ─ (conv/ReLU/max-pool) × L ─ flatten and/or keypoints [B,F] ─ dense ┐
 *   state [B,S] ───────────────────────────────── dense ─ + ┴─► embedding [B,U]   (encode)
 *   action [B·N,A] ─ dense/ReLU [B·N,Ua] ─ dense ─► [B·N,U] ┐
 *                                   + embedding, per image ─┴─ ReLU ─ dense 1 ─► logit [B·N]  (head)
 *
 * With spatialUnits Us > 0 a spatial head adds, per action, log (1/L) Σ_l exp(v · relu(P_l + W·action hidden))
 * over the L = H'·W' cells of the last conv map, where P_l [B,L,Us] (per image, in the
 * embedding) mixes cell l's features and position with the keypoints and state.
 *
 * With a lookup (QNetConfig.lookup) the head also reads, per action, the conv maps at the
 * image point below where the action takes the gripper: the bin floor under the palm's
 * x, y (state) plus the move's dx, dy, projected through the camera and sampled bilinearly
 * from each chosen layer's map after a learned 1×1 projection to K channels. With grasp points
 * it reads P − 1 more floor points around that one, placed in the gripper's frame after the move
 * (along the axis the fingers close on, at the palm's yaw plus the action's dyaw, and across it):
 *   action [B·N,A], palm x, y, yaw [B,3] ─ P floor points ─ camera ─ pixels ─ sample maps [B·N, P·K·layers] ─ dense ─► + [B·N,U]
 *
 * The head's first layer acts on concat(features, state, action hidden);
 * splitting its weight rows into the image, state and action parts gives the
 * same sum, so the image and state parts are computed once per image (the
 * embedding). The state joins after the conv stack, as the side input of
 * dql_grasping's (image, side-input) critics; QT-Opt feeds its gripper state
 * the same way. Q = sigmoid(logit).
 *
 * Shape legend: B images, N actions per image, A action dims, S state dims,
 * F head features (the flattened last conv map and/or 2 keypoint coordinates per
 * channel), U head units, Ua action units, L conv-map cells, Us spatial-head units.
 */
import * as tf from '@tensorflow/tfjs';
import { ACTION_DIM } from '../env/index.js';
import { Rng } from '../random/index.js';
import { HEAD_SCORES, LOOKUP_HEAD_SCORES, LOOKUP_SAMPLE } from './kernels.js';
import { conv2dRelu } from './layers.js';

export interface ConvLayerSpec {
  /** Output channels. */
  readonly filters: number;
  /** Square kernel side, pixels. */
  readonly kernelSize: number;
  /** Stride, pixels; padding is always 'same'. */
  readonly stride: number;
  /**
   * Max-pool window and stride after the ReLU, pixels ('same' padding); absent or 1 = none.
   * Pooling shares a local detector across positions (a gripper over an object is the same
   * pattern anywhere in the bin), which strided convs feeding a flatten head do not.
   */
  readonly pool?: number;
}

/**
 * Where an action takes the gripper, read off the conv maps: QNetConfig.lookup. The camera
 * and the two scales come from the scene (the train command fills them; a network refuses
 * a lookup with any of them still null), so a checkpoint carries what it needs to act
 * without the scene's three.js camera.
 */
export interface ActionLookup {
  /** Channels K each sampled map is projected to (a learned 1×1 conv) before sampling. */
  readonly channels: number;
  /** Conv layers whose outputs (after pooling) are sampled, by index into convs. */
  readonly layers: readonly number[] | null;
  /** The camera's world → clip rows x, y and w, row-major 3×4 for [X, Y, Z, 1] in m (render's cameraClipRows). */
  readonly camera: readonly number[] | null;
  /** Metres the palm moves per unit of the action's dx and dy (scene.action.maxTranslationXY). */
  readonly moveScale: number | null;
  /** Metres per unit of the network's x and y state inputs (the inverse of their input scale). */
  readonly positionUnit: number | null;
  /**
   * Floor points read besides the one below the palm, [along, across] in m in the gripper's frame
   * after the move: along the axis the fingers close on, and across it. Absent or empty = none.
   * Where the fingers will meet the object says whether a grasp is centred and square to its
   * faces, which the one point below the palm, blind to yaw, cannot.
   */
  readonly points?: readonly (readonly [number, number])[];
  /** Radians the palm turns per unit of the action's dyaw (scene.action.maxYaw); needed with points. */
  readonly yawScale?: number | null;
}

export interface QNetConfig {
  /** Input image height, pixels. */
  readonly imageHeight: number;
  /** Input image width, pixels. */
  readonly imageWidth: number;
  /** Input image channels (3 for RGB). */
  readonly imageChannels: number;
  /** Convolution stack, ReLU after each. */
  readonly convs: readonly ConvLayerSpec[];
  /**
   * Gripper-state vector length S (the replay's vector part): the first S of the grasp
   * env's [aperture m, closed 0/1, height m, x m, y m, yaw rad] (3 or 6); 0 for no state input.
   */
  readonly stateDim: number;
  /** Action vector length A. */
  readonly actionDim: number;
  /** Width Ua of the action branch's hidden layer. */
  readonly actionUnits: number;
  /** Width U of the head's hidden layer. */
  readonly headUnits: number;
  /**
   * What the head reads of the last conv map [H',W',C']: 'flatten' (all H'·W'·C' values),
   * 'keypoints' (a spatial softmax per channel: its expected image x, y in [-1, 1], 2·C'
   * values; Levine et al. 2016), 'both', or 'max' (each channel's maximum over the map, C'
   * values). Keypoints put "where" in a few inputs, so the head can compare the gripper's
   * position with an object's linearly. 'max' asks only whether a local pattern (the gripper
   * over something graspable) occurs anywhere, so every position's examples train the same
   * weights. Absent = 'flatten'.
   */
  readonly features?: 'flatten' | 'keypoints' | 'both' | 'max';
  /**
   * Width Us of the spatial head (0 or absent = none). It asks, for every cell l of the
   * last conv map, "is there something to grasp here, and does this action bring the
   * gripper here?": a per-cell layer on (the cell's features, its image position, the
   * keypoints, the state, the action), one logit per cell, and an OR over cells
   * (log-sum-exp) added to the dense head's logit. Needs keypoints (the gripper's
   * position in the image comes from them).
   */
  readonly spatialUnits?: number;
  /**
   * Read the conv maps where each action takes the gripper (absent = no): "is something
   * graspable where this move ends?" becomes a local read of the image, rather than a
   * relation between the gripper's and the objects' positions that the head must learn
   * from a global feature vector. Needs stateDim 6 (the palm's x, y); not with spatialUnits.
   */
  readonly lookup?: ActionLookup;
}

/**
 * The fixed reference network used to compare train-step speed with PyTorch
 * (scripts/bench_pytorch.py builds the same one): 64×64×3 → three 32-filter
 * convs (5×5/2, 3×3/2, 3×3/2) → 2048 features; 3-d gripper state; 6-d action
 * (the env's ACTION_DIM) → 64; head 64 → 1.
 */
export const REFERENCE_QNET: QNetConfig = Object.freeze({
  imageHeight: 64,
  imageWidth: 64,
  imageChannels: 3,
  convs: Object.freeze([
    { filters: 32, kernelSize: 5, stride: 2 },
    { filters: 32, kernelSize: 3, stride: 2 },
    { filters: 32, kernelSize: 3, stride: 2 },
  ]),
  stateDim: 3,
  actionDim: ACTION_DIM,
  actionUnits: 64,
  headUnits: 64,
});

/** Parameter count of REFERENCE_QNET. */
export const REFERENCE_QNET_PARAMS = 156_865;

/** Each conv layer's output [height, width, channels], after its pooling ('same' padding: ceil(size / stride) per layer). */
function mapShapes(config: QNetConfig): [number, number, number][] {
  let h = config.imageHeight;
  let w = config.imageWidth;
  return config.convs.map((conv) => {
    const pool = conv.pool ?? 1;
    h = Math.ceil(Math.ceil(h / conv.stride) / pool);
    w = Math.ceil(Math.ceil(w / conv.stride) / pool);
    return [h, w, conv.filters];
  });
}

/** The last conv map's [height, width, channels] (the image's own with no convs). */
function convOutputShape(config: QNetConfig): [number, number, number] {
  return mapShapes(config).at(-1) ?? [config.imageHeight, config.imageWidth, config.imageChannels];
}

/** Refuse a lookup the network cannot read: a RangeError naming the field. */
function checkLookup(config: QNetConfig, spatialUnits: number): void {
  const { channels, layers, camera, moveScale, positionUnit } = config.lookup!;
  if (layers === null || camera === null || moveScale === null || positionUnit === null) {
    throw new RangeError('QNetConfig.lookup: layers, camera, moveScale and positionUnit must be filled in from the scene (qtopt sceneLookup)');
  }
  if (!Number.isInteger(channels) || channels < 1) throw new RangeError(`QNetConfig.lookup.channels must be a positive integer, got ${channels}`);
  if (layers.length === 0 || new Set(layers).size !== layers.length || layers.some((l) => !Number.isInteger(l) || l < 0 || l >= config.convs.length)) {
    throw new RangeError(`QNetConfig.lookup.layers must be distinct conv indices in 0…${config.convs.length - 1}, got [${layers.join(', ')}]`);
  }
  if (camera.length !== 12 || camera.some((v) => !Number.isFinite(v))) throw new RangeError(`QNetConfig.lookup.camera must be 12 finite numbers (3×4 rows), got ${camera.length}`);
  if (!(moveScale > 0) || !(positionUnit > 0)) throw new RangeError('QNetConfig.lookup.moveScale and positionUnit must be positive');
  if (config.stateDim < 6) throw new RangeError(`QNetConfig.lookup needs stateDim 6 (the palm's x, y), got ${config.stateDim}`);
  const points = config.lookup!.points ?? [];
  if (points.some((p) => p.length !== 2 || !p.every(Number.isFinite))) throw new RangeError('QNetConfig.lookup.points must be [along, across] pairs of finite metres');
  if (points.length > 0 && !((config.lookup!.yawScale ?? 0) > 0)) throw new RangeError('QNetConfig.lookup.yawScale must be positive with points (qtopt sceneLookup fills it)');
  if (spatialUnits > 0) throw new RangeError('QNetConfig.lookup and spatialUnits cannot be combined');
}

/** A conv stack in one line, as the benches print it: 16@5x5/2,32@3x3/1+pool2,… */
export function describeConvs(convs: readonly ConvLayerSpec[]): string {
  return convs.map((k) => `${k.filters}@${k.kernelSize}x${k.kernelSize}/${k.stride}${(k.pool ?? 1) > 1 ? `+pool${k.pool}` : ''}`).join(',');
}

/** Whether the head reads keypoints ('keypoints' or 'both'). */
function hasKeypoints(config: QNetConfig): boolean {
  return config.features === 'keypoints' || config.features === 'both';
}

/** Feature length F the head reads for a config: the flattened map, 2 keypoint coordinates per channel, both, or a max per channel. */
export function featureSize(config: QNetConfig): number {
  const [h, w, c] = convOutputShape(config);
  const features = config.features ?? 'flatten';
  if (features === 'max') return c;
  return (features === 'keypoints' ? 0 : h * w * c) + (hasKeypoints(config) ? 2 * c : 0);
}

/** Each image's row of t [B, D] repeated for its actions: [R, D], image b's at rows b·R/B …. */
function perAction(t: tf.Tensor2D, rows: number): tf.Tensor2D {
  const b = t.shape[0];
  return tf.reshape(tf.tile(tf.reshape(t, [b, 1, -1]), [1, rows / b, 1]), [rows, -1]) as tf.Tensor2D;
}

/** [H'·W', 2] image coordinates (x, y) in [-1, 1] of each conv-map cell's centre, row-major. */
function cellCoordinates(h: number, w: number): tf.Tensor2D {
  const xy = new Float32Array(h * w * 2);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      xy[(i * w + j) * 2] = ((j + 0.5) / w) * 2 - 1;
      xy[(i * w + j) * 2 + 1] = ((i + 0.5) / h) * 2 - 1;
    }
  }
  return tf.tensor2d(xy, [h * w, 2]);
}

/** Glorot-uniform weights from the seeded Rng (fan in/out as Keras counts them). */
function glorot(rng: Rng, shape: number[], fanIn: number, fanOut: number): tf.Tensor {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = rng.range(-limit, limit);
  return tf.tensor(values, shape);
}

/** tfjs variable names must be unique per process; `namedVariables()` gives the stable names. */
let nextNetworkId = 0;

/** A weight and its checkpoint name, which does not depend on how many networks the process built. */
export interface NamedVariable {
  readonly name: string;
  readonly variable: tf.Variable;
}

/** A Q-network's weights (owned tf.Variables) and its forward pass. */
export class QNetwork {
  readonly config: QNetConfig;
  /** Every trainable variable, in the fixed order of `namedVariables()` (target updates and checkpoints pair them by it). */
  readonly variables: tf.Variable[];
  private readonly named: NamedVariable[];
  private readonly convKernels: tf.Variable<tf.Rank.R4>[] = [];
  private readonly convBiases: tf.Variable<tf.Rank.R1>[] = [];
  private readonly imageWeight: tf.Variable<tf.Rank.R2>; // [F, U]
  private readonly stateWeight: tf.Variable<tf.Rank.R2> | null; // [S, U], null when S = 0
  private readonly headBias: tf.Variable<tf.Rank.R1>; // [U]
  private readonly actionWeight: tf.Variable<tf.Rank.R2>; // [A, Ua]
  private readonly actionBias: tf.Variable<tf.Rank.R1>; // [Ua]
  private readonly actionToHead: tf.Variable<tf.Rank.R2>; // [Ua, U]
  private readonly outWeight: tf.Variable<tf.Rank.R2>; // [U, 1]
  private readonly outBias: tf.Variable<tf.Rank.R1>; // [1]
  /** Keypoints only: the spatial softmax's inverse temperature, learned (a sharper softmax finds one blob). */
  private readonly keypointGain: tf.Variable<tf.Rank.R0> | null = null;
  /** Keypoints only: cell centres, [H'·W', 2] (a constant). */
  private readonly cells: tf.Tensor2D | null = null;
  /** Spatial head only (see QNetConfig.spatialUnits). */
  private readonly spatial: {
    cellKernel: tf.Variable<tf.Rank.R2>; // [C', Us]
    positionKernel: tf.Variable<tf.Rank.R2>; // [2, Us]
    imageKernel: tf.Variable<tf.Rank.R2>; // [F, Us]: the head's features (keypoints among them)
    stateKernel: tf.Variable<tf.Rank.R2> | null; // [S, Us]
    bias: tf.Variable<tf.Rank.R1>; // [Us]
    actionKernel: tf.Variable<tf.Rank.R2>; // [Ua, Us]
    outKernel: tf.Variable<tf.Rank.R2>; // [Us, 1]
  } | null = null;
  /** Lookup only (see QNetConfig.lookup). */
  private readonly lookup: {
    projections: tf.Variable<tf.Rank.R2>[]; // per sampled layer [C_k, K]
    kernel: tf.Variable<tf.Rank.R2>; // [P·K·layers, U]
    /** Every read point's along and across offsets, m, each [1, P], the point below the palm's 0 first; null with no grasp points. */
    along: tf.Tensor2D | null;
    across: tf.Tensor2D | null;
    /**
     * Per sampled layer: its map's height and width, the column where its H·W·K projected values start in
     * encode's embedding, and the cell indices 0…h−1 and 0…w−1 as [1, h] and [1, w].
     */
    maps: { height: number; width: number; offset: number; rows: tf.Tensor2D; cols: tf.Tensor2D }[];
    /** Camera columns of X and Y [2, 3] and of the constant 1 [3] (the floor is Z = 0), clip x, y, w. */
    cameraXY: tf.Tensor2D;
    cameraOffset: tf.Tensor1D;
  } | null = null;

  /** Initialise weights from `seed` (same seed, same weights, on every backend). */
  constructor(config: QNetConfig, seed: number) {
    for (const key of ['imageHeight', 'imageWidth', 'imageChannels', 'actionDim', 'actionUnits', 'headUnits'] as const) {
      if (!Number.isInteger(config[key]) || config[key] < 1) throw new RangeError(`QNetConfig.${key} must be a positive integer, got ${config[key]}`);
    }
    config.convs.forEach((conv, i) => {
      const pool = conv.pool ?? 1;
      if (!Number.isInteger(pool) || pool < 1) throw new RangeError(`QNetConfig.convs[${i}].pool must be a positive integer, got ${pool}`);
    });
    if (!Number.isInteger(config.stateDim) || config.stateDim < 0) throw new RangeError(`QNetConfig.stateDim must be an integer >= 0, got ${config.stateDim}`);
    const us = config.spatialUnits ?? 0;
    if (!Number.isInteger(us) || us < 0) throw new RangeError(`QNetConfig.spatialUnits must be an integer >= 0, got ${us}`);
    if (us > 0 && !hasKeypoints(config)) throw new RangeError("QNetConfig.spatialUnits needs features 'keypoints' or 'both'");
    if (config.lookup) checkLookup(config, us);
    this.config = config;
    const rng = new Rng(seed);
    const networkId = nextNetworkId++;
    const variable = <R extends tf.Rank>(init: tf.Tensor, name: string): tf.Variable<R> => {
      const v = tf.variable(init, true, `qnet${networkId}/${name}`) as tf.Variable<R>;
      init.dispose();
      return v;
    };
    let channels = config.imageChannels;
    config.convs.forEach((conv, i) => {
      const k = conv.kernelSize;
      this.convKernels.push(variable(glorot(rng, [k, k, channels, conv.filters], k * k * channels, k * k * conv.filters), `conv${i}/kernel`));
      this.convBiases.push(variable(tf.zeros([conv.filters]), `conv${i}/bias`));
      channels = conv.filters;
    });
    const f = featureSize(config);
    const s = config.stateDim;
    const concatWidth = f + s + config.actionUnits;
    // The head's first layer is one [F + S + Ua, U] matrix split by rows: initialise it as one.
    const headWeight = glorot(rng, [concatWidth, config.headUnits], concatWidth, config.headUnits);
    const [imagePart, statePart, actionPart] = tf.split(headWeight, [f, s, config.actionUnits], 0);
    headWeight.dispose();
    this.imageWeight = variable(imagePart!, 'head/image_kernel');
    if (s > 0) {
      this.stateWeight = variable(statePart!, 'head/state_kernel');
    } else {
      this.stateWeight = null;
      statePart!.dispose();
    }
    this.actionToHead = variable(actionPart!, 'head/action_kernel');
    this.headBias = variable(tf.zeros([config.headUnits]), 'head/bias');
    this.actionWeight = variable(glorot(rng, [config.actionDim, config.actionUnits], config.actionDim, config.actionUnits), 'action/kernel');
    this.actionBias = variable(tf.zeros([config.actionUnits]), 'action/bias');
    this.outWeight = variable(glorot(rng, [config.headUnits, 1], config.headUnits, 1), 'out/kernel');
    this.outBias = variable(tf.zeros([1]), 'out/bias');
    if (hasKeypoints(config)) {
      const [mh, mw] = convOutputShape(config);
      this.keypointGain = variable(tf.scalar(1), 'keypoints/gain');
      this.cells = cellCoordinates(mh, mw);
    }
    if (us > 0) {
      const [, , mc] = convOutputShape(config);
      // One [C' + 2 + F + S + Ua, Us] layer split by rows, as the dense head's.
      const width = mc + 2 + f + s + config.actionUnits;
      const first = glorot(rng, [width, us], width, us);
      const [cellPart, positionPart, imagePart2, statePart2, actionPart2] = tf.split(first, [mc, 2, f, s, config.actionUnits], 0);
      first.dispose();
      if (s === 0) statePart2!.dispose();
      this.spatial = {
        cellKernel: variable(cellPart!, 'spatial/cell_kernel'),
        positionKernel: variable(positionPart!, 'spatial/position_kernel'),
        imageKernel: variable(imagePart2!, 'spatial/image_kernel'),
        stateKernel: s > 0 ? variable(statePart2!, 'spatial/state_kernel') : null,
        bias: variable(tf.zeros([us]), 'spatial/bias'),
        actionKernel: variable(actionPart2!, 'spatial/action_kernel'),
        outKernel: variable(glorot(rng, [us, 1], us, 1), 'spatial/out_kernel'),
      };
    }
    if (config.lookup) {
      const { channels: k } = config.lookup;
      const layers = config.lookup.layers!;
      const camera = config.lookup.camera!;
      const shapes = mapShapes(config);
      const projections = layers.map((l) => {
        const c = shapes[l]![2];
        return variable<tf.Rank.R2>(glorot(rng, [c, k], c, k), `lookup/projection${l}`);
      });
      const points = config.lookup.points ?? [];
      const sampled = k * layers.length * (1 + points.length);
      const at = (row: number, col: number) => camera[row * 4 + col]!;
      this.lookup = {
        projections,
        kernel: variable(glorot(rng, [sampled, config.headUnits], sampled, config.headUnits), 'lookup/kernel'),
        maps: layers.map((l, i) => {
          const [height, width] = shapes[l]!;
          // [dense U | palm x, y, yaw | each sampled layer's map], as encode concatenates them.
          const offset = config.headUnits + 3 + layers.slice(0, i).reduce((sum, earlier) => sum + shapes[earlier]![0] * shapes[earlier]![1] * k, 0);
          // Built in a tidy: each reshape is a new tensor, and the range under it would outlive the net.
          return tf.tidy(() => ({ height, width, offset, rows: tf.reshape(tf.range(0, height), [1, height]) as tf.Tensor2D, cols: tf.reshape(tf.range(0, width), [1, width]) as tf.Tensor2D }));
        }),
        cameraXY: tf.tensor2d([0, 1].flatMap((col) => [at(0, col), at(1, col), at(2, col)]), [2, 3]),
        cameraOffset: tf.tensor1d([at(0, 3), at(1, 3), at(2, 3)]),
        along: points.length > 0 ? tf.tensor2d([0, ...points.map(([a]) => a)], [1, points.length + 1]) : null,
        across: points.length > 0 ? tf.tensor2d([0, ...points.map(([, c]) => c)], [1, points.length + 1]) : null,
      };
    }
    const ordered: tf.Variable[] = [
      ...this.convKernels.flatMap((k, i) => [k, this.convBiases[i]!]),
      this.actionWeight,
      this.actionBias,
      this.imageWeight,
      ...(this.stateWeight ? [this.stateWeight] : []),
      this.actionToHead,
      this.headBias,
      this.outWeight,
      this.outBias,
      ...(this.keypointGain ? [this.keypointGain] : []),
      ...(this.spatial
        ? [this.spatial.cellKernel, this.spatial.positionKernel, this.spatial.imageKernel, ...(this.spatial.stateKernel ? [this.spatial.stateKernel] : []), this.spatial.bias, this.spatial.actionKernel, this.spatial.outKernel]
        : []),
      ...(this.lookup ? [...this.lookup.projections, this.lookup.kernel] : []),
    ];
    this.variables = ordered;
    const prefix = `qnet${networkId}/`;
    this.named = ordered.map((v) => ({ name: v.name.slice(prefix.length), variable: v }));
  }

  /** Number of trainable scalars. */
  get paramCount(): number {
    return this.variables.reduce((n, v) => n + v.size, 0);
  }

  /**
   * The variables in `variables` order with names like `conv0/kernel`, `head/state_kernel`,
   * `out/bias`: the same for every network of a config, whatever else the process built.
   */
  namedVariables(): NamedVariable[] {
    return this.named.slice();
  }

  /**
   * Image-and-state embedding, [B,U] (with a spatial head [B, U + L·Us]: the per-cell
   * terms P follow): float images in [0, 1] [B,H,W,C] and the gripper state [B,S]
   * (ignored, and may be null, when stateDim is 0). Includes the head bias.
   */
  encode(images: tf.Tensor4D, state: tf.Tensor2D | null): tf.Tensor2D {
    return tf.tidy(() => {
      const b = images.shape[0];
      const maps = this.convMaps(images);
      const map = maps[maps.length - 1]!; // [B, H', W', C']
      const features = this.features(map); // [B, F]
      const s = this.config.stateDim;
      if (this.stateWeight && (!state || state.shape[0] !== b || state.shape[1] !== s)) {
        throw new Error(`encode: state must be [${b}, ${s}], got ${state ? `[${state.shape.join(', ')}]` : 'none'}`);
      }
      const embedding = tf.fused.matMul({ a: features, b: this.imageWeight, bias: this.headBias }) as tf.Tensor2D; // [B, U]
      const dense = this.stateWeight ? (tf.add(embedding, tf.matMul(state!, this.stateWeight)) as tf.Tensor2D) : embedding;
      if (this.lookup) {
        // [dense U | palm x, y, yaw | each sampled layer's map projected to K channels, flattened]: what head() samples per action.
        const projected = this.config.lookup!.layers!.map((l, i) => {
          const [, mh, mw, c] = maps[l]!.shape;
          return tf.reshape(tf.matMul(tf.reshape(maps[l]!, [b * mh * mw, c]), this.lookup!.projections[i]!), [b, -1]);
        });
        return tf.concat([dense, tf.slice(state!, [0, 3], [b, 3]), ...projected], 1) as tf.Tensor2D;
      }
      if (!this.spatial) return dense;
      // P_l = W_cell · map_l + W_pos · position_l + (W_img · features + W_state · state + bias), per cell: [B, L·Us].
      const sp = this.spatial;
      const [, mh, mw, c] = map.shape;
      const cellCount = mh * mw;
      const us = sp.bias.shape[0];
      let perImage = tf.fused.matMul({ a: features, b: sp.imageKernel, bias: sp.bias }) as tf.Tensor2D; // [B, Us]
      if (sp.stateKernel) perImage = tf.add(perImage, tf.matMul(state!, sp.stateKernel));
      const perCell = tf.reshape(tf.matMul(tf.reshape(map, [b * cellCount, c]), sp.cellKernel), [b, cellCount, us]);
      const position = tf.matMul(this.cells!, sp.positionKernel); // [L, Us]
      const cells = tf.add(tf.add(perCell, position), tf.reshape(perImage, [b, 1, us])); // [B, L, Us]
      return tf.concat([dense, tf.reshape(cells, [b, cellCount * us])], 1) as tf.Tensor2D; // [B, U + L·Us]
    });
  }

  /** Every conv layer's output (after its pooling) [B,H_l,W_l,C_l] for images [B,H,W,C]; the images alone with no convs. */
  private convMaps(images: tf.Tensor4D): tf.Tensor4D[] {
    let h: tf.Tensor4D = images;
    const maps = this.config.convs.map((conv, i) => {
      h = conv2dRelu(h, this.convKernels[i]!, this.convBiases[i]!, conv.stride);
      const pool = conv.pool ?? 1;
      if (pool > 1) h = tf.maxPool(h, pool, pool, 'same');
      return h;
    });
    return maps.length > 0 ? maps : [images];
  }

  /** Spatial softmax of a conv map [B,H',W',C'] per channel, then the expected cell centre: [B, 2C'] as x0, y0, x1, y1, … */
  private spatialSoftmax(map: tf.Tensor4D): tf.Tensor2D {
    if (!this.keypointGain || !this.cells) throw new Error("keypoints: the network's features are 'flatten'");
    const [b, mh, mw, c] = map.shape;
    const perChannel = tf.reshape(tf.transpose(tf.reshape(map, [b, mh * mw, c]), [0, 2, 1]), [b * c, mh * mw]); // [B·C', H'·W']
    const attention = tf.softmax(tf.mul(perChannel, this.keypointGain));
    return tf.reshape(tf.matMul(attention, this.cells), [b, 2 * c]) as tf.Tensor2D;
  }

  /**
   * Where each channel of the last conv map looks, for images [B,H,W,C]: [B, C', 2], the
   * (x, y) image position in [-1, 1] (x right, y down) that the head reads. Keypoint networks only.
   */
  keypoints(images: tf.Tensor4D): tf.Tensor3D {
    return tf.tidy(() => {
      const b = images.shape[0];
      return tf.reshape(this.spatialSoftmax(this.convMaps(images).at(-1)!), [b, -1, 2]) as tf.Tensor3D;
    });
  }

  /** The head's view of the last conv map [B,H',W',C']: flattened, keypoints, both, or a max per channel → [B, F]. */
  private features(map: tf.Tensor4D): tf.Tensor2D {
    const [b, mh, mw, c] = map.shape;
    const features = this.config.features ?? 'flatten';
    const flat = (): tf.Tensor2D => tf.reshape(map, [b, mh * mw * c]) as tf.Tensor2D;
    if (features === 'flatten') return flat();
    if (features === 'max') return tf.max(map, [1, 2]) as tf.Tensor2D;
    const keypoints = this.spatialSoftmax(map);
    return features === 'keypoints' ? keypoints : (tf.concat([flat(), keypoints], 1) as tf.Tensor2D);
  }

  /**
   * Logits for N actions per image: embedding [B,U], actions [B·N,A] (the N
   * actions of image b are rows b·N … b·N+N−1) → [B·N]. Q = sigmoid(logit).
   */
  head(embedding: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      const b = embedding.shape[0];
      const u = this.config.headUnits;
      const rows = actions.shape[0];
      if (rows % b !== 0) throw new Error(`head: ${rows} action rows is not a multiple of ${b} images`);
      const n = rows / b;
      const dense = this.spatial || this.lookup ? (tf.slice(embedding, [0, 0], [b, u]) as tf.Tensor2D) : embedding; // [B, U]
      const actionHidden = tf.fused.matMul({ a: actions, b: this.actionWeight, bias: this.actionBias, activation: 'relu' }); // [B·N, Ua]
      const moved = tf.matMul(actionHidden, this.actionToHead); // [B·N, U]
      const actionPart = this.lookup ? tf.add(moved, this.lookupTerm(embedding, actions)) : moved;
      const hidden =
        rows === b
          ? tf.relu(tf.add(actionPart, dense))
          : tf.reshape(tf.relu(tf.add(tf.reshape(actionPart, [b, n, u]), tf.reshape(dense, [b, 1, u]))), [rows, u]); // [B·N, U]
      const logits = tf.reshape(tf.fused.matMul({ a: hidden as tf.Tensor2D, b: this.outWeight, bias: this.outBias }), [rows]) as tf.Tensor1D; // [B·N]
      if (!this.spatial) return logits;
      // OR over cells: log Σ_l exp(v · relu(P_l + W_a · action hidden)) − log L, so a fresh net starts near the dense head's logit.
      const sp = this.spatial;
      const us = sp.bias.shape[0];
      const cellCount = (embedding.shape[1] - u) / us;
      const cells = tf.reshape(tf.slice(embedding, [0, u], [b, cellCount * us]), [b, 1, cellCount, us]);
      const actionTerm = tf.reshape(tf.matMul(actionHidden, sp.actionKernel), [b, n, 1, us]);
      const perCell = tf.reshape(tf.matMul(tf.reshape(tf.relu(tf.add(cells, actionTerm)), [rows * cellCount, us]), sp.outKernel), [rows, cellCount]); // [B·N, L]
      return tf.add(logits, tf.sub(tf.logSumExp(perCell, 1), Math.log(cellCount))) as tf.Tensor1D;
    });
  }

  /**
   * Image positions, in [0, 1] from the left and top edges, of the floor points each action
   * reads: the palm's x, y (network state units) and yaw (rad) [B, 3], actions [B·N, A] →
   * [B·N·P, 2] (u, v), action r's P points at rows r·P …, the one below the palm first, then
   * the grasp points. Lookup networks only.
   */
  private floorPoints(palm: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor2D {
    const { moveScale, positionUnit } = this.config.lookup!;
    const { cameraXY, cameraOffset, along, across } = this.lookup!;
    const b = palm.shape[0];
    const rows = actions.shape[0];
    const palmXY = tf.mul(tf.slice(palm, [0, 0], [b, 2]), positionUnit!); // [B, 2] m
    const move = tf.mul(tf.slice(actions, [0, 0], [rows, 2]), moveScale!); // [B·N, 2] m
    let floor = tf.add(move, perAction(palmXY as tf.Tensor2D, rows)) as tf.Tensor2D; // [B·N, 2]
    if (along && across) {
      const yaw = this.graspYaw(palm, actions);
      const [cos, sin] = [tf.cos(yaw), tf.sin(yaw)];
      const p = along.shape[1];
      const dx = tf.sub(tf.mul(along, cos), tf.mul(across, sin)); // [B·N, P]
      const dy = tf.add(tf.mul(along, sin), tf.mul(across, cos));
      floor = tf.reshape(tf.add(tf.stack([dx, dy], 2), tf.reshape(floor, [rows, 1, 2])), [rows * p, 2]) as tf.Tensor2D;
    }
    const [x, y, w] = tf.split(tf.add(tf.matMul(floor, cameraXY), cameraOffset), 3, 1); // clip coordinates, each [B·N·P, 1]
    return tf.concat([tf.div(tf.add(tf.div(x!, w!), 1), 2), tf.div(tf.sub(1, tf.div(y!, w!)), 2)], 1) as tf.Tensor2D;
  }

  /**
   * The yaw the fingers close at after each action, rad [B·N, 1]: the palm's yaw [B, 3] column 2
   * plus dyaw · yawScale. The fingers close along the palm's local x, (cos θ, sin θ).
   */
  private graspYaw(palm: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor2D {
    const rows = actions.shape[0];
    return tf.add(perAction(tf.slice(palm, [0, 2], [palm.shape[0], 1]) as tf.Tensor2D, rows), tf.mul(tf.slice(actions, [0, 3], [rows, 1]), this.config.lookup!.yawScale!)) as tf.Tensor2D;
  }

  /**
   * The lookup's term in the head's hidden layer, [B·N, U]: each sampled map read
   * bilinearly at its action's floor point (zero outside the image), then one dense layer.
   * Cell (i, j)'s centre is at ((j + ½)/width, (i + ½)/height) of the image. The backend's
   * LOOKUP_SAMPLE kernel reads the four cells around each point where it has one (native on
   * wasm in Node); elsewhere a dense [B·N, cells] weight matrix times the map gives the
   * same values, at B·N·cells multiplications instead of B·N·4.
   */
  private lookupTerm(embedding: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor2D {
    const { channels: k } = this.config.lookup!;
    const b = embedding.shape[0];
    const rows = actions.shape[0];
    const points = this.floorPoints(tf.slice(embedding, [0, this.config.headUnits], [b, 3]), actions); // [B·N·P, 2]
    const reads = points.shape[0]; // B·N·P
    const native = tf.getKernel(LOOKUP_SAMPLE, tf.getBackend()) !== undefined;
    const [u, v] = native ? [] : tf.split(points, 2, 1); // each [B·N·P, 1]
    const samples = this.lookup!.maps.map(({ height, width, offset: at, rows: rowIndex, cols: colIndex }) => {
      const cells = height * width;
      if (native) return tf.reshape(tf.engine().runKernel(LOOKUP_SAMPLE, { embeddings: embedding, points }, { height, width, channels: k, offset: at }) as tf.Tensor2D, [rows, -1]);
      const maps = tf.reshape(tf.slice(embedding, [0, at], [b, cells * k]), [b, cells, k]);
      const tent = (at: tf.Tensor, size: number, index: tf.Tensor2D) => tf.relu(tf.sub(1, tf.abs(tf.sub(tf.sub(tf.mul(at, size), 0.5), index))));
      const weights = tf.mul(tf.reshape(tent(v!, height, rowIndex), [reads, height, 1]), tf.reshape(tent(u!, width, colIndex), [reads, 1, width]));
      return tf.reshape(tf.matMul(tf.reshape(weights, [b, reads / b, cells]), maps), [rows, -1]); // [B·N, P·K]
    });
    return tf.matMul(samples.length === 1 ? samples[0]! : tf.concat(samples, 1), this.lookup!.kernel) as tf.Tensor2D;
  }

  /**
   * Pixels [u, v] (from the image's top-left corner) of the floor points each action reads:
   * state [B, S] as the network reads it, actions [B·N, A] → [B·N·P, 2], the one below the
   * palm first. Lookup networks only; what the head samples, for checks and the viewer.
   */
  lookupPixels(state: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor2D {
    if (!this.lookup) throw new Error('lookupPixels: the network has no lookup');
    return tf.tidy(() => {
      const palm = tf.slice(state, [0, 3], [state.shape[0], 3]);
      return tf.mul(this.floorPoints(palm, actions), [this.config.imageWidth, this.config.imageHeight]) as tf.Tensor2D;
    });
  }

  /**
   * Q = σ(head) for N actions per image, at inference (no gradient flows through it): what
   * CEM ranks. embedding [B,U], actions [B·N,A] → [B·N]. The backend's HEAD_SCORES kernel
   * where it has one (native on wasm in Node), else σ(head(…)).
   */
  headScores(embedding: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor1D {
    if (this.spatial || !tf.getKernel(HEAD_SCORES, tf.getBackend())) return tf.tidy(() => tf.sigmoid(this.head(embedding, actions)));
    const b = embedding.shape[0];
    const rows = actions.shape[0];
    if (rows % b !== 0) throw new Error(`head: ${rows} action rows is not a multiple of ${b} images`);
    const { actionWeight, actionBias, actionToHead, outWeight, outBias } = this;
    if (!this.lookup) return tf.engine().runKernel(HEAD_SCORES, { embedding, actions, actionWeight, actionBias, actionToHead, outWeight, outBias }) as tf.Tensor1D;
    if (tf.getKernel(LOOKUP_HEAD_SCORES, tf.getBackend())) return tf.tidy(() => this.lookupHeadScores(embedding, actions));
    // The lookup's term differs per action, so each row gets its own embedding (its image's plus that term).
    return tf.tidy(() => {
      const u = this.config.headUnits;
      const dense = tf.reshape(tf.slice(embedding, [0, 0], [b, u]), [b, 1, u]);
      const perRow = tf.reshape(tf.add(tf.reshape(this.lookupTerm(embedding, actions), [b, rows / b, u]), dense), [rows, u]);
      return tf.engine().runKernel(HEAD_SCORES, { embedding: perRow, actions, actionWeight, actionBias, actionToHead, outWeight, outBias }) as tf.Tensor1D;
    });
  }

  /** headScores of a lookup network through LOOKUP_HEAD_SCORES: the grasp yaw's cos and sin come from tf ops, as floorPoints takes them. */
  private lookupHeadScores(embedding: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor1D {
    const { channels, moveScale, positionUnit } = this.config.lookup!;
    const { along, across, cameraXY, cameraOffset, kernel, maps } = this.lookup!;
    const u = this.config.headUnits;
    const mapDims = maps.map(({ height, width, offset }) => [height, width, offset]);
    const turned = along && across ? { along, across, yaw: this.graspYaw(tf.slice(embedding, [0, u], [embedding.shape[0], 3]) as tf.Tensor2D, actions) } : null;
    const { actionWeight, actionBias, actionToHead, outWeight, outBias } = this;
    const inputs = {
      embedding,
      actions,
      ...(turned ? { cos: tf.cos(turned.yaw), sin: tf.sin(turned.yaw), along: turned.along, across: turned.across } : {}),
      cameraXY,
      cameraOffset,
      lookupKernel: kernel,
      actionWeight,
      actionBias,
      actionToHead,
      outWeight,
      outBias,
    };
    const attrs = { headUnits: u, channels, points: turned ? turned.along.shape[1] : 1, maps: mapDims, moveScale: moveScale!, positionUnit: positionUnit! };
    return tf.engine().runKernel(LOOKUP_HEAD_SCORES, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor1D;
  }

  /** Logits for one action per image: images [B,H,W,C], state [B,S], actions [B,A] → [B]. */
  logits(images: tf.Tensor4D, state: tf.Tensor2D | null, actions: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => this.head(this.encode(images, state), actions));
  }

  /** Q values in (0, 1) for one action per image: [B]. */
  predict(images: tf.Tensor4D, state: tf.Tensor2D | null, actions: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => tf.sigmoid(this.logits(images, state, actions)));
  }

  /** Q values for N candidate actions per image, encoder once per image: images [B,H,W,C], state [B,S], actions [B·N,A] → [B,N]. */
  scoreActions(images: tf.Tensor4D, state: tf.Tensor2D | null, actions: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const b = images.shape[0];
      return tf.reshape(this.headScores(this.encode(images, state), actions), [b, actions.shape[0] / b]);
    }) as tf.Tensor2D;
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
    this.cells?.dispose();
    if (this.lookup) {
      const { cameraXY, cameraOffset, along, across, maps } = this.lookup;
      tf.dispose([cameraXY, cameraOffset, ...(along && across ? [along, across] : []), ...maps.flatMap((m) => [m.rows, m.cols])]);
    }
  }
}
