/** DQN on CartPole-v1 (one readable file) and the small MLP Q-network it uses. */
export { Mlp } from './mlp.js';
export {
  trainCartPoleDqn,
  cartPoleDqnArgs,
  evaluateGreedy,
  CARTPOLE_DQN_DEFAULTS,
  type CartPoleDqnArgs,
  type CartPoleDqnResult,
  type MetricsSink,
} from './dqn.js';
