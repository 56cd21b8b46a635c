/**
 * Tabular ground truth: explicit-table MDPs (gridworlds), value iteration, and
 * fitted Q iteration with an exact least-squares or a neural regressor.
 */
export { gridworld, GRID_ACTIONS, DEFAULT_GRIDWORLD, type GridworldConfig, type Outcome, type TabularMdp } from './mdp.js';
export {
  bellmanBackup,
  maxAbsDiff,
  stateValue,
  valueIteration,
  DEFAULT_ITERATION,
  type IterationOptions,
  type QSolution,
} from './value-iteration.js';
export {
  fittedQIteration,
  fqiTargets,
  linearLeastSquares,
  oneHotFeatures,
  tableDataset,
  type FqiBatch,
  type FqiDataset,
  type QRegressor,
} from './fqi.js';
export { neuralRegressor, DEFAULT_NEURAL_FQI, type NeuralFqiConfig, type NeuralRegressor } from './neural-fqi.js';
