/**
 * A small fully connected Q-network whose parameters live in ONE flat tf
 * variable θ [P]. At CartPole sizes tfjs's per-kernel overhead, not arithmetic,
 * sets the step time; with one variable, Adam, global-norm clipping and target
 * updates each run a handful of kernels instead of a handful per layer.
 * Weights are initialised from a seeded `Rng` (tfjs layer initialisers draw
 * from Math.random, which would break same-seed determinism).
 *
 * Shape legend: B batch, I inputs, O outputs (one Q-value per discrete action),
 * P parameters. Layout of θ, layer by layer: W_k row-major [in_k, out_k], then b_k [out_k].
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../random/index.js';

interface LayerSlot {
  fanIn: number;
  fanOut: number;
  /** Offset of W_k in θ. */
  w: number;
  /** Offset of b_k in θ. */
  b: number;
}

/** ReLU hidden layers, linear output. Owns its variable: call `dispose()`. */
export class Mlp {
  /** θ [P], all weights and biases. */
  readonly theta: tf.Variable<tf.Rank.R1>;
  private readonly layers: LayerSlot[] = [];

  /**
   * `sizes` = [I, hidden..., O]. Weights and biases are U(−1/√fan_in, 1/√fan_in),
   * PyTorch's nn.Linear default, which CleanRL's DQN uses.
   */
  constructor(
    readonly sizes: readonly number[],
    rng: Rng,
    trainable = true,
  ) {
    if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
      throw new Error(`Mlp: sizes must be >= 2 positive integers, got [${sizes.join(', ')}]`);
    }
    let offset = 0;
    for (let k = 0; k + 1 < sizes.length; k++) {
      const [fanIn, fanOut] = [sizes[k], sizes[k + 1]];
      this.layers.push({ fanIn, fanOut, w: offset, b: offset + fanIn * fanOut });
      offset += fanIn * fanOut + fanOut;
    }
    const init = new Float32Array(offset);
    for (const l of this.layers) {
      const bound = 1 / Math.sqrt(l.fanIn);
      for (let i = l.w; i < l.b + l.fanOut; i++) init[i] = rng.range(-bound, bound);
    }
    // tf.variable shares the initial tensor's data; tidy frees the initial tensor's handle.
    this.theta = tf.tidy(() => tf.variable(tf.tensor1d(init), trainable));
  }

  /** The variables to differentiate, update and copy: [θ]. */
  get variables(): tf.Variable[] {
    return [this.theta];
  }

  /** Number of scalar parameters P. */
  get paramCount(): number {
    return this.theta.size;
  }

  /** Q-values for a batch: [B, I] → [B, O]. Call inside tf.tidy. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    let h = x;
    this.layers.forEach((l, k) => {
      h = tf.fused.matMul({
        a: h,
        b: tf.reshape(tf.slice(this.theta, l.w, l.fanIn * l.fanOut), [l.fanIn, l.fanOut]),
        bias: tf.slice(this.theta, l.b, l.fanOut),
        activation: k < this.layers.length - 1 ? 'relu' : 'linear',
      }) as tf.Tensor2D;
    });
    return h;
  }

  /** A copy of θ [P] for `forwardOne` (one readback). */
  snapshot(): Float32Array {
    return this.theta.dataSync() as Float32Array;
  }

  /**
   * The same forward pass as `apply` for one input, in plain JS on a snapshot of θ.
   * Acting calls the network once per env step; one tfjs call costs far more than
   * these few thousand multiply-adds. `scratch` must hold max(sizes) floats twice.
   */
  forwardOne(theta: Float32Array, x: ArrayLike<number>, out: Float32Array, scratch: Float32Array): Float32Array {
    const width = Math.max(...this.sizes);
    let src: ArrayLike<number> = x;
    this.layers.forEach((l, k) => {
      const last = k === this.layers.length - 1;
      const dst = last ? out : scratch.subarray((k % 2) * width, (k % 2) * width + l.fanOut);
      for (let j = 0; j < l.fanOut; j++) {
        let acc = theta[l.b + j];
        for (let i = 0; i < l.fanIn; i++) acc += src[i] * theta[l.w + i * l.fanOut + j];
        dst[j] = last || acc > 0 ? acc : 0;
      }
      src = dst;
    });
    return out;
  }

  dispose(): void {
    this.theta.dispose();
  }
}
