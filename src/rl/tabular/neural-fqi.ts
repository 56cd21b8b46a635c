/**
 * A neural regressor for fitted Q iteration: a small MLP on one-hot state
 * features with one output per action, fitted to each iteration's Bellman
 * targets by full-batch Adam on the probability-weighted squared error
 * (Riedmiller 2005's Neural Fitted Q, warm-started between iterations).
 *
 * Shape legend: N dataset rows, S states, A actions.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../random/index.js';
import { Mlp } from '../dqn/mlp.js';
import type { FqiBatch, QRegressor } from './fqi.js';
import type { TabularMdp } from './mdp.js';

export interface NeuralFqiConfig {
  /** Hidden layer widths of the Q-network. */
  hidden: number[];
  /** Adam learning rate. */
  learningRate: number;
  /** Full-batch Adam steps per FQI iteration. */
  fitSteps: number;
  /** Seed for the network's initial weights. */
  seed: number;
}

export const DEFAULT_NEURAL_FQI: Readonly<NeuralFqiConfig> = Object.freeze({
  hidden: [64, 64],
  learningRate: 3e-3,
  fitSteps: 150,
  seed: 0,
});

/** An FQI regressor that owns a network and an optimizer: call `dispose()`. */
export interface NeuralRegressor extends QRegressor {
  /** Weighted mean squared error at the end of the last fit. */
  lastLoss: number;
  dispose(): void;
}

export function neuralRegressor(mdp: TabularMdp, overrides: Partial<NeuralFqiConfig> = {}): NeuralRegressor {
  const cfg = { ...DEFAULT_NEURAL_FQI, ...overrides };
  const net = new Mlp([mdp.nStates, ...cfg.hidden, mdp.nActions], new Rng(cfg.seed));
  const optimizer = tf.train.adam(cfg.learningRate);
  const allStates = tf.eye(mdp.nStates) as tf.Tensor2D; // [S, S]
  const regressor: NeuralRegressor = {
    lastLoss: NaN,
    fit(batch: FqiBatch): Float64Array {
      const totalWeight = batch.weights.reduce((a, b) => a + b, 0);
      const [x, mask, y, w] = tf.tidy(() => [
        tf.oneHot(tf.tensor1d(batch.states, 'int32'), mdp.nStates).toFloat(), // [N, S]
        tf.oneHot(tf.tensor1d(batch.actions, 'int32'), mdp.nActions).toFloat(), // [N, A]
        tf.tensor1d(Float32Array.from(batch.targets)), // [N]
        tf.tensor1d(Float32Array.from(batch.weights, (v) => v / totalWeight)), // [N]
      ]);
      // L(θ) = Σ_i w_i (Q_θ(s_i, a_i) − y_i)², with Σ w_i = 1.
      const loss = () => tf.sum(tf.mul(w, tf.square(tf.sub(tf.sum(tf.mul(net.apply(x as tf.Tensor2D), mask), 1), y)))) as tf.Scalar;
      let last: tf.Scalar | null = null;
      for (let step = 0; step < cfg.fitSteps; step++) {
        last?.dispose();
        last = optimizer.minimize(loss, step === cfg.fitSteps - 1, net.variables);
      }
      regressor.lastLoss = last ? last.dataSync()[0] : NaN;
      last?.dispose();
      tf.dispose([x, mask, y, w]);
      const q = tf.tidy(() => net.apply(allStates)); // [S, A]
      const table = Float64Array.from(q.dataSync()); // [S*A]
      q.dispose();
      return table;
    },
    dispose() {
      net.dispose();
      optimizer.dispose();
      allStates.dispose();
    },
  };
  return regressor;
}
