/**
 * pincer's neural-network layer over tfjs: backend selection, the wasm kernels
 * training needs, and the grasp Q-network builder.
 *
 * Call `await initBackend()` once before building networks; it picks
 * tfjs-node, else wasm (PINCER_BACKEND=node|wasm|cpu forces one) and registers
 * the wasm kernels. Import tfjs itself as `@tensorflow/tfjs`.
 */
export { initBackend, forcedBackend, type BackendName } from './backend.js';
export { conv2dFilterGrad, conv2dInputGrad, reluBiasGrad } from './kernels.js';
export { QNetwork, REFERENCE_QNET, REFERENCE_QNET_PARAMS, featureSize, type QNetConfig, type ConvLayerSpec } from './qnet.js';
export { trainStep, huberOnQ } from './train.js';
export { JsAdam, DEFAULT_ADAM, type AdamConfig } from './adam.js';
export { conv2dRelu } from './layers.js';
