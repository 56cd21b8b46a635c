/**
 * pincer's neural-network layer over tfjs: backend selection, the kernels
 * training needs on wasm, the grasp Q-network and a fast Adam. The gradient
 * step itself is src/rl's `learnerStep` (one for DQN and QT-Opt).
 *
 * Usage (import tfjs itself as `@tensorflow/tfjs`):
 *
 *   await initBackend(logger);                 // (tf/node.ts) once per process: tfjs-node, else wasm (PINCER_BACKEND forces)
 *   const net = new QNetwork(REFERENCE_QNET, seed);
 *   const target = new QNetwork(REFERENCE_QNET, seed + 1); hardUpdate(target.variables, net.variables);  // src/rl
 *   const optimizer = new JsAdam({ learningRate: 1e-3 });   // or tf.train.adam(1e-3): same update
 *   const { loss, tdErrors } = learnerStep(net.variables, optimizer, () => net.logits(images, state, actions), y, null,
 *     { loss: 'log', huberDelta: 1, maxGradNorm: 10, output: 'logit' });   // src/rl
 *   // CEM: encoder once per image, head on N candidates per image
 *   const embedding = net.encode(images, state);      // [B, U]
 *   const logits = net.head(embedding, candidates);   // candidates [B·N, A] → [B·N]
 *   const q = net.scoreActions(images, state, candidates);   // sigmoid, [B, N]
 *   net.namedVariables();                      // [{ name: 'conv0/kernel', variable }, …] for checkpoints
 *
 * Images are float32 [B, H, W, C] in [0, 1] (convert uint8 replay frames with
 * tf.div(tf.cast(u8, 'float32'), 255)); state is the replay's vector part [B, S]
 * (the first S of [aperture m, closed 0/1, height m, x m, y m, yaw rad] for the grasp env). Q = sigmoid(logit);
 * learnerStep's output 'logit' applies log loss to the logits directly.
 *
 * This surface is portable (the viewer page runs the network with
 * `initBrowserBackend`: WebGL, else wasm, or the one asked for); Node's `initBackend` is in `./node.ts`.
 *
 * On wasm, initBackend registers Conv2DBackpropFilter (missing in
 * tfjs-backend-wasm 4.22) and replaces Conv2DBackpropInput and transposed
 * BatchMatMul/_FusedMatMul with faster compositions, so plain tf.conv2d /
 * tf.layers gradients work and are fast too. In Node it then puts native
 * convolution kernels (./native.ts, built for the CPU) in front of those
 * where they are built.
 */
export { initBrowserBackend, parseBrowserBackend, type BrowserBackendName } from './browser-backend.js';
export { reluBiasGrad, unitImages } from './kernels.js';
export { conv2dRelu, convFilterGrad, convInputGrad } from './layers.js';
export { QNetwork, REFERENCE_QNET, REFERENCE_QNET_PARAMS, describeConvs, featureSize, type ActionLookup, type QNetConfig, type ConvLayerSpec, type NamedVariable } from './qnet.js';
export { JsAdam, DEFAULT_ADAM, type AdamConfig } from './adam.js';
