/**
 * Adam whose update runs in JavaScript on Float32Arrays, or in one native kernel
 * per variable where the backend has ADAM_UPDATE (src/tf/native.ts), with the
 * same rounding.
 *
 * tf.train.adam issues ~20 small kernels per variable (≈230 per step for the
 * reference net), and on wasm each launch costs tens of microseconds, more
 * than the arithmetic. Reading a gradient from wasm is a memcpy (no GPU
 * round trip), so here each variable costs one read, one loop and one upload.
 *
 * Same update as tf.train.adam (Kingma & Ba 2015, Algorithm 1):
 *   m ← β1·m + (1−β1)·g,   v ← β2·v + (1−β2)·g²,
 *   θ ← θ − α · m̂ / (√v̂ + ε),   m̂ = m/(1−β1^t),  v̂ = v/(1−β2^t).
 */
import * as tf from '@tensorflow/tfjs';
import { ADAM_UPDATE } from './kernels.js';

/** tfjs-core's NamedTensor, which @tensorflow/tfjs does not re-export. */
interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

export interface AdamConfig {
  /** Step size α at construction (the optimizer's `learningRate` field is the live one). */
  readonly learningRate: number;
  /** Decay of the first-moment estimate β1. */
  readonly beta1: number;
  /** Decay of the second-moment estimate β2. */
  readonly beta2: number;
  /** ε added to √v̂ (tfjs/Keras default 1e-7; PyTorch's is 1e-8). */
  readonly epsilon: number;
}

export const DEFAULT_ADAM: AdamConfig = Object.freeze({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });

/** Drop-in tf.Optimizer: use it wherever tf.train.adam(...) would go. */
export class JsAdam extends tf.Optimizer {
  static get className(): string {
    return 'PincerJsAdam';
  }

  readonly config: AdamConfig;
  /**
   * Step size α of the next update. Read on every applyGradients, so a schedule
   * sets it between steps (src/rl's setLearningRate); the same field as tf.train.adam's.
   */
  learningRate: number;
  private readonly moments = new Map<string, { m: Float32Array; v: Float32Array }>();
  private step = 0;

  constructor(config: Partial<AdamConfig> = {}) {
    super();
    this.config = { ...DEFAULT_ADAM, ...config };
    this.learningRate = this.config.learningRate;
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries = Array.isArray(variableGradients)
      ? variableGradients.map((g) => [g.name, g.tensor] as const)
      : Object.entries(variableGradients);
    this.step += 1;
    const { beta1, beta2, epsilon } = this.config;
    const learningRate = this.learningRate;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    const native = tf.getKernel(ADAM_UPDATE, tf.getBackend()) !== undefined;
    const params = Float64Array.from([learningRate, beta1, beta2, epsilon, c1, c2]);
    for (const [name, grad] of entries) {
      const variable = tf.engine().registeredVariables[name];
      if (!variable) throw new Error(`JsAdam: no variable named ${name}`);
      if (!variable.trainable) continue;
      let slot = this.moments.get(name);
      if (!slot) {
        slot = { m: new Float32Array(variable.size), v: new Float32Array(variable.size) };
        this.moments.set(name, slot);
      }
      const { m, v } = slot;
      if (native) {
        const next = tf.engine().runKernel(ADAM_UPDATE, { theta: variable, grad }, { m, v, params } as unknown as tf.NamedAttrMap) as tf.Tensor;
        variable.assign(next);
        next.dispose();
        continue;
      }
      const g = grad.dataSync() as Float32Array;
      // The cpu backend's dataSync returns the variable's own storage (which may be shared with
      // the array it was made from): write the update into new memory.
      const theta = variable.dataSync() as Float32Array;
      const next = new Float32Array(theta.length);
      for (let i = 0; i < theta.length; i++) {
        const gi = g[i]!;
        const mi = beta1 * m[i]! + (1 - beta1) * gi;
        const vi = beta2 * v[i]! + (1 - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        next[i] = theta[i]! - (learningRate * (mi / c1)) / (Math.sqrt(vi / c2) + epsilon);
      }
      tf.tidy(() => variable.assign(tf.tensor(next, variable.shape)));
    }
    this.incrementIterations();
  }

  override dispose(): void {
    this.moments.clear();
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const weights: NamedTensor[] = [await this.saveIterations()];
    for (const [name, { m, v }] of this.moments) {
      weights.push({ name: `${name}/m`, tensor: tf.tensor(m) }, { name: `${name}/v`, tensor: tf.tensor(v) });
    }
    return weights;
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    this.step = this.iterations;
    this.moments.clear();
    for (const { name, tensor } of rest) {
      const variableName = name.replace(/\/[mv]$/, '');
      const slot = this.moments.get(variableName) ?? { m: new Float32Array(tensor.size), v: new Float32Array(tensor.size) };
      (name.endsWith('/m') ? slot.m : slot.v).set(tensor.dataSync() as Float32Array);
      this.moments.set(variableName, slot);
    }
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...this.config, learningRate: this.learningRate };
  }
}
