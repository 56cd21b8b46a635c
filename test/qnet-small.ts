import type { QNetConfig } from '../src/tf/index.js';

/** A small net with the reference net's structure, fast enough for a thousand steps in a test. */
export const SMALL: QNetConfig = {
  imageHeight: 16,
  imageWidth: 16,
  imageChannels: 3,
  convs: [
    { filters: 8, kernelSize: 3, stride: 2 },
    { filters: 8, kernelSize: 3, stride: 2 },
  ],
  stateDim: 3,
  actionDim: 6,
  actionUnits: 16,
  headUnits: 16,
};
