/**
 * The generic learner step on a fake linear Q-net whose loss, TD errors and
 * gradient are worked out by hand; the NaN guard; and learning-rate setters
 * that really change the step size, for every optimizer a schedule may drive.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { getLearningRate, learnerStep, NonFiniteLossError, setLearningRate, type LearnerStepConfig } from '../src/rl/index.js';
import { initBackend, JsAdam } from '../src/tf/node.js';

beforeAll(async () => {
  await initBackend();
});

/**
 * Q(s_i) = w · x_i with w = [1, 2] and x = [[1, 0], [0, 1], [1, 1]]: Q = [1, 2, 3].
 * Targets y = [0, 2, 5]: TD errors y − Q = [−1, 0, 2].
 */
function fixture() {
  const w = tf.variable(tf.tensor1d([1, 2]));
  const x = tf.tensor2d([1, 0, 0, 1, 1, 1], [3, 2]);
  const y = tf.tensor1d([0, 2, 5]);
  const predict = () => tf.squeeze(tf.matMul(x, tf.reshape(w, [2, 1])), [1]) as tf.Tensor1D;
  const dispose = () => tf.dispose([w, x, y]);
  return { w, x, y, predict, dispose };
}

const MSE: LearnerStepConfig = { loss: 'mse', huberDelta: 1, maxGradNorm: null, output: 'value' };

describe('learnerStep (by hand)', () => {
  it('MSE with importance weights: loss, TD errors, gradient norm and the SGD update', () => {
    const f = fixture();
    const weights = tf.tensor1d([1, 1, 0.5]);
    const sgd = tf.train.sgd(0.1);
    // L = mean(w_i δ_i²) = (1·1 + 0 + 0.5·4) / 3 = 1.
    // ∂L/∂w = (2/3) Σ w_i (Q_i − y_i) x_i = (2/3)(1·1·[1,0] + 0.5·(−2)·[1,1]) = (2/3)[0, −1] = [0, −2/3]; ‖g‖ = 2/3.
    const r = learnerStep([f.w], sgd, f.predict, f.y, weights, MSE);
    expect(r.loss).toBeCloseTo(1, 6);
    expect(Array.from(r.tdErrors)).toEqual([-1, 0, 2]);
    expect(r.gradNorm).toBeCloseTo(2 / 3, 6);
    // w ← w − 0.1 g = [1, 2 + 0.0667]
    const w = f.w.dataSync();
    expect(w[0]).toBeCloseTo(1, 6);
    expect(w[1]).toBeCloseTo(2 + 0.2 / 3, 6);
    tf.dispose([weights]);
    sgd.dispose();
    f.dispose();
  });

  it('clips the gradient to maxGradNorm (the direction kept) and reports the norm before clipping', () => {
    const f = fixture();
    const sgd = tf.train.sgd(1);
    // Unweighted: ∂L/∂w = (2/3)((1)[1,0] + (−2)[1,1]) = (2/3)[−1, −2]; ‖g‖ = (2/3)√5 ≈ 1.4907.
    const r = learnerStep([f.w], sgd, f.predict, f.y, null, { ...MSE, maxGradNorm: 0.5 });
    expect(r.gradNorm).toBeCloseTo((2 / 3) * Math.sqrt(5), 5);
    // Clipped to norm 0.5 along [−1, −2]/√5: w moves by +0.5·[1, 2]/√5.
    const w = f.w.dataSync();
    expect(w[0]! - 1).toBeCloseTo(0.5 / Math.sqrt(5), 6);
    expect(w[1]! - 2).toBeCloseTo(1 / Math.sqrt(5), 6);
    sgd.dispose();
    f.dispose();
  });

  it('Huber on sigmoid Q and log loss on the logit (output "logit")', () => {
    const f = fixture();
    const sgd = tf.train.sgd(0); // no update: the loss is what is checked
    const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
    const q = [1, 2, 3].map(sigmoid);
    const y = [0, 1, 1];
    const yt = tf.tensor1d(y);
    const huber = learnerStep([f.w], sgd, f.predict, yt, null, { loss: 'huber', huberDelta: 1, maxGradNorm: null, output: 'logit' });
    // All |y − σ(z)| < 1: Huber is ½δ².
    expect(huber.loss).toBeCloseTo(q.reduce((a, qi, i) => a + 0.5 * (y[i]! - qi) ** 2, 0) / 3, 6);
    huber.tdErrors.forEach((d, i) => expect(d).toBeCloseTo(y[i]! - q[i]!, 6));
    const log = learnerStep([f.w], sgd, f.predict, yt, null, { loss: 'log', huberDelta: 1, maxGradNorm: null, output: 'logit' });
    // Cross-entropy −[y log σ(z) + (1 − y) log(1 − σ(z))].
    const ce = q.reduce((a, qi, i) => a - (y[i]! * Math.log(qi) + (1 - y[i]!) * Math.log(1 - qi)), 0) / 3;
    expect(log.loss).toBeCloseTo(ce, 5);
    expect(() => learnerStep([f.w], sgd, f.predict, yt, null, { ...MSE, loss: 'log' })).toThrow(/log loss needs logits/);
    tf.dispose([yt]);
    sgd.dispose();
    f.dispose();
  });

  it('a penalty returned with the values joins the gradient and is reported apart from the TD loss', () => {
    const f = fixture();
    const sgd = tf.train.sgd(0.1);
    // P = 3·w₀: ∂P/∂w = [3, 0] on top of the MSE gradient (2/3)[−1, −2] of the unweighted fixture.
    const r = learnerStep([f.w], sgd, () => ({ values: f.predict(), penalty: tf.mul(tf.slice(f.w, [0], [1]).sum(), 3) as tf.Scalar }), f.y, null, MSE);
    expect(r.loss).toBeCloseTo(5 / 3, 6); // (1 + 0 + 4) / 3, the TD loss alone
    expect(r.penalty).toBeCloseTo(3, 6);
    expect(r.gradNorm).toBeCloseTo(Math.hypot(3 - 2 / 3, -4 / 3), 5);
    const w = f.w.dataSync();
    expect(w[0]).toBeCloseTo(1 - 0.1 * (3 - 2 / 3), 6);
    expect(w[1]).toBeCloseTo(2 + 0.4 / 3, 6);
    expect(learnerStep([f.w], sgd, f.predict, f.y, null, MSE).penalty).toBe(0);
    sgd.dispose();
    f.dispose();
  });

  it('a NaN or infinite loss throws NonFiniteLossError and applies nothing', () => {
    const f = fixture();
    const adam = new JsAdam({ learningRate: 0.1 });
    for (const bad of [NaN, Infinity]) {
      const y = tf.tensor1d([0, bad, 5]);
      expect(() => learnerStep([f.w], adam, f.predict, y, null, MSE)).toThrow(NonFiniteLossError);
      expect(Array.from(f.w.dataSync())).toEqual([1, 2]);
      expect(adam.iterations).toBe(0);
      y.dispose();
    }
    adam.dispose();
    f.dispose();
  });

  it('keeps tf.memory().numTensors flat, also when it throws', () => {
    const f = fixture();
    const adam = new JsAdam({ learningRate: 0.01 });
    const bad = tf.tensor1d([0, NaN, 5]);
    learnerStep([f.w], adam, f.predict, f.y, null, MSE);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) learnerStep([f.w], adam, f.predict, f.y, null, { ...MSE, maxGradNorm: 1 });
    for (let i = 0; i < 5; i++) expect(() => learnerStep([f.w], adam, f.predict, bad, null, MSE)).toThrow(NonFiniteLossError);
    expect(tf.memory().numTensors).toBe(before);
    bad.dispose();
    adam.dispose();
    f.dispose();
  });
});

describe('setLearningRate', () => {
  /**
   * With a constant gradient 1, Adam's step is ≈ lr (m̂/√v̂ = 1), SGD's and momentum's
   * first step exactly lr. Step once at 0.1, then once at 0.01.
   */
  const optimizers: [string, () => tf.Optimizer, number][] = [
    ['JsAdam', () => new JsAdam({ learningRate: 0.1 }), 0.01],
    ['tf.train.adam', () => tf.train.adam(0.1), 0.01],
    ['tf.train.sgd', () => tf.train.sgd(0.1), 0.01],
    // Momentum 0.5: the second step is lr₂ · (0.5 · 1 + 1) = 0.015.
    ['tf.train.momentum', () => tf.train.momentum(0.1, 0.5), 0.015],
  ];
  for (const [name, make, secondStep] of optimizers) {
    it(`changes ${name}'s step size`, () => {
      const optimizer = make();
      const x = tf.variable(tf.scalar(0));
      const grads = { [x.name]: tf.scalar(1) };
      optimizer.applyGradients(grads);
      expect(x.dataSync()[0]).toBeCloseTo(-0.1, 5);
      setLearningRate(optimizer, 0.01);
      expect(getLearningRate(optimizer)).toBe(0.01);
      optimizer.applyGradients(grads);
      expect(x.dataSync()[0]! + 0.1).toBeCloseTo(-secondStep, 5);
      optimizer.dispose();
      x.dispose();
      grads[x.name]!.dispose();
    });
  }

  it('refuses an optimizer it cannot drive', () => {
    class Fixed extends tf.Optimizer {
      static get className() {
        return 'Fixed';
      }
      applyGradients(): void {}
      getConfig() {
        return {};
      }
    }
    expect(() => setLearningRate(new Fixed(), 0.1)).toThrow(/Fixed has no learningRate/);
  });
});
