/**
 * Layer ops with hand-written gradients, for training speed on wasm.
 *
 * tfjs un-fuses `tf.fused.conv2d` while gradients are being recorded (Conv2D,
 * then Add, then Relu, each a pass over the activations), and `tf.customGrad`
 * copies its output through an Identity kernel. Here conv+bias+ReLU is its own
 * kernel, `PincerConv2DRelu` (the backend's FusedConv2D: one XNNPACK pass on
 * wasm), with a registered gradient built from the kernels in kernels.ts.
 * Gradients the tape does not need (an input image's) are never computed.
 *
 * Shape legend: N batch, H W input size, OH OW output size, CI CO channels.
 */
import * as tf from '@tensorflow/tfjs';
import { reluBiasGrad } from './kernels.js';

const CONV_RELU = 'PincerConv2DRelu';

interface ConvReluAttrs {
  strides: number;
}

const registeredFor = new Set<string>();

/**
 * Register `PincerConv2DRelu` for every backend that has FusedConv2D, and its
 * gradient. Idempotent; initBackend calls it.
 */
export function registerLayerKernels(): void {
  for (const backendName of ['wasm', 'cpu', 'tensorflow', 'webgl']) {
    if (registeredFor.has(backendName)) continue;
    const fused = tf.getKernel('FusedConv2D', backendName);
    if (!fused) continue;
    registeredFor.add(backendName);
    tf.registerKernel({
      kernelName: CONV_RELU,
      backendName,
      kernelFunc: (args) =>
        fused.kernelFunc({
          ...args,
          attrs: { strides: (args.attrs as unknown as ConvReluAttrs).strides, pad: 'same', dataFormat: 'NHWC', dilations: 1, activation: 'relu' },
        }),
    });
  }
  if (registeredFor.size > 0 && !tf.getGradient(CONV_RELU)) {
    tf.registerGradient({ kernelName: CONV_RELU, inputsToSave: ['x', 'filter'], outputsToSave: [true], gradFunc: convReluGrad });
  }
}

/** relu(conv2d(x, filter, stride, 'same') + bias), NHWC: [N,H,W,CI] → [N,OH,OW,CO]. */
export function conv2dRelu(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D, stride: number): tf.Tensor4D {
  return tf.engine().runKernel(CONV_RELU, { x, filter, bias }, { strides: stride } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

function convReluGrad(dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap): Record<string, () => tf.Tensor> {
  const [x, filter, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
  const { strides } = attrs as unknown as ConvReluAttrs;
  // dL/d(pre-activation) is dy where y > 0; the engine disposes it with backprop's other intermediates.
  const [dPre, dBias] = reluBiasGrad(dy as tf.Tensor, y) as [tf.Tensor4D, tf.Tensor1D]; // [N, OH, OW, CO], [CO]
  return {
    x: () => convInputGrad(dPre, filter, x.shape, strides),
    filter: () => convFilterGrad(x, dPre, filter.shape, strides),
    bias: () => dBias,
  };
}

/**
 * dL/dfilter of conv2d(x, filter, stride, 'same') given dL/dy, through the engine: each
 * backend's own kernel runs (on wasm pincer's composition, or the native one).
 */
export function convFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], stride: number): tf.Tensor4D {
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: stride, pad: 'same', dataFormat: 'NHWC', filterShape } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/** dL/dx of conv2d(x, filter, stride, 'same') given dL/dy, through the engine as convFilterGrad. */
export function convInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: [number, number, number, number], stride: number): tf.Tensor4D {
  return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { strides: stride, pad: 'same', dataFormat: 'NHWC', inputShape } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
