export { wilsonInterval } from './wilson.js';
