export { wilsonInterval } from './wilson.js';
export { roundTo, quantile, median } from './stats.js';
