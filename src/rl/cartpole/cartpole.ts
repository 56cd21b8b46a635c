/**
 * CartPole-v1, a TypeScript port of Gymnasium's `classic_control/cartpole.py`
 * (Barto, Sutton and Anderson 1983) with the `TimeLimit(500)` wrapper folded in.
 *
 * ## Action Space
 * 0 pushes the cart left, 1 pushes it right, with a fixed force of 10 N.
 *
 * ## Observation Space
 * | index | observation           | min      | max     |
 * |-------|-----------------------|----------|---------|
 * | 0     | cart position, m      | -4.8     | 4.8     |
 * | 1     | cart velocity, m/s    | -inf     | inf     |
 * | 2     | pole angle, rad       | ~-0.418  | ~0.418  |
 * | 3     | pole angular vel, rad/s | -inf   | inf     |
 * The internal state is float64; observations are float32 copies, as in Gymnasium.
 *
 * ## Rewards
 * +1 for every step taken, including the step that terminates.
 *
 * ## Starting State
 * Every state variable is uniform in [-0.05, 0.05), drawn from the env's seeded `Rng`.
 *
 * ## Episode End
 * Terminated: pole angle leaves ±12° or cart position leaves ±2.4 m.
 * Truncated: 500 steps were taken (a time limit, so learners must still bootstrap).
 */
import { Rng } from '../../random/index.js';

/** Physical constants, SI units (Gymnasium's values). */
export const CARTPOLE = Object.freeze({
  /** m/s² */
  gravity: 9.8,
  /** kg */
  massCart: 1.0,
  /** kg */
  massPole: 0.1,
  /** Half the pole's length, m. */
  length: 0.5,
  /** Magnitude of the push, N. */
  forceMag: 10.0,
  /** Seconds between state updates (explicit Euler). */
  tau: 0.02,
  /** 12 degrees, rad. */
  thetaThreshold: (12 * 2 * Math.PI) / 360,
  /** m */
  xThreshold: 2.4,
  /** Steps before truncation (CartPole-v1's TimeLimit). */
  maxEpisodeSteps: 500,
});

export const CARTPOLE_OBS_DIM = 4;
export const CARTPOLE_ACTIONS = 2;

const totalMass = CARTPOLE.massPole + CARTPOLE.massCart;
const poleMassLength = CARTPOLE.massPole * CARTPOLE.length;

/**
 * One Euler step of the cart-pole equations of motion, in place on
 * `state` = [x, ẋ, θ, θ̇] (float64). The order of operations follows Gymnasium
 * exactly so that results agree bit for bit with NumPy float64.
 */
export function cartPoleDynamics(state: Float64Array, action: number): void {
  const [x, xDot, theta, thetaDot] = state;
  const force = action === 1 ? CARTPOLE.forceMag : -CARTPOLE.forceMag;
  const cosTheta = Math.cos(theta);
  const sinTheta = Math.sin(theta);
  const temp = (force + poleMassLength * thetaDot * thetaDot * sinTheta) / totalMass;
  const thetaAcc =
    (CARTPOLE.gravity * sinTheta - cosTheta * temp) /
    (CARTPOLE.length * (4.0 / 3.0 - (CARTPOLE.massPole * cosTheta * cosTheta) / totalMass));
  const xAcc = temp - (poleMassLength * thetaAcc * cosTheta) / totalMass;
  state[0] = x + CARTPOLE.tau * xDot;
  state[1] = xDot + CARTPOLE.tau * xAcc;
  state[2] = theta + CARTPOLE.tau * thetaDot;
  state[3] = thetaDot + CARTPOLE.tau * thetaAcc;
}

/** Whether [x, ẋ, θ, θ̇] is outside the allowed region. */
export function cartPoleFailed(state: Float64Array): boolean {
  const [x, , theta] = state;
  return x < -CARTPOLE.xThreshold || x > CARTPOLE.xThreshold || theta < -CARTPOLE.thetaThreshold || theta > CARTPOLE.thetaThreshold;
}

export interface CartPoleStep {
  /** [4] float32 copy of the state after the step. */
  observation: Float32Array;
  reward: number;
  /** The pole fell or the cart left the track: the true end of the episode. */
  terminated: boolean;
  /** The time limit was reached: the episode was cut, not finished. */
  truncated: boolean;
}

/** The CartPole-v1 environment. Owns one seeded `Rng`; `reset({ seed })` reseeds it. */
export class CartPole {
  /** [x, ẋ, θ, θ̇], float64. */
  readonly state = new Float64Array(4);
  /** Steps taken in the current episode. */
  elapsedSteps = 0;
  private rng: Rng | null = null;
  private done = true;

  /**
   * Start an episode. A seed reseeds the env's generator (do this once, as in
   * Gymnasium); without one the generator continues, so episodes differ.
   */
  reset(options: { seed?: number } = {}): { observation: Float32Array } {
    if (options.seed !== undefined) this.rng = new Rng(options.seed);
    if (this.rng === null) throw new Error('CartPole.reset: the first reset needs a seed ({ seed })');
    for (let i = 0; i < 4; i++) this.state[i] = this.rng.range(-0.05, 0.05);
    this.elapsedSteps = 0;
    this.done = false;
    return { observation: Float32Array.from(this.state) };
  }

  step(action: number): CartPoleStep {
    if (action !== 0 && action !== 1) throw new Error(`CartPole.step: action must be 0 or 1, got ${action}`);
    if (this.done) throw new Error('CartPole.step: the episode has ended; call reset() first');
    cartPoleDynamics(this.state, action);
    this.elapsedSteps++;
    const terminated = cartPoleFailed(this.state);
    // Gymnasium's TimeLimit sets truncated independently, so both can be true at step 500.
    const truncated = this.elapsedSteps >= CARTPOLE.maxEpisodeSteps;
    this.done = terminated || truncated;
    return { observation: Float32Array.from(this.state), reward: 1, terminated, truncated };
  }
}
