/** CartPole-v1 with Gymnasium's exact dynamics, for validating Q-learning before images. */
export {
  CartPole,
  CARTPOLE,
  CARTPOLE_ACTIONS,
  CARTPOLE_OBS_DIM,
  cartPoleDynamics,
  cartPoleFailed,
  type CartPoleStep,
} from './cartpole.js';
