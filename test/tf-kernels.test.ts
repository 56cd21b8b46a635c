/**
 * The wasm kernels in src/tf against tfjs's cpu backend, which has reference
 * implementations of every kernel. Gradients are of a non-trivial scalar
 * (Σ c ⊙ conv(x, w) with random c), so every element of dx and dw matters.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../src/random/index.js';
import { cameraClipRows } from '../src/render/index.js';
import { defaultScene } from '../src/scene/index.js';
import { conv2dRelu, forcedBackend, initBackend, nativeKernelsInUse, QNetwork, REFERENCE_QNET, reluBiasGrad, setNativeThreads, unitImages } from '../src/tf/node.js';

beforeAll(async () => {
  expect(await initBackend()).toBe('wasm');
});

function uniform(rng: Rng, shape: number[], lo = -1, hi = 1): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, () => rng.range(lo, hi));
}

/** Run `f` on named float inputs on one backend; return every output as a plain array. */
function on(backend: 'cpu' | 'wasm', inputs: Record<string, [Float32Array, number[]]>, f: (t: Record<string, tf.Tensor>) => tf.Tensor[]): Float32Array[] {
  tf.setBackend(backend);
  const outs = tf.tidy(() => {
    const t = Object.fromEntries(Object.entries(inputs).map(([k, [v, s]]) => [k, tf.tensor(v, s)]));
    return f(t);
  });
  const values = outs.map((o) => o.dataSync() as Float32Array);
  tf.dispose(outs);
  tf.setBackend('wasm');
  return values;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const convCases: { x: number[]; w: number[]; stride: number; pad: 'same' | 'valid' }[] = [
  { x: [2, 8, 8, 3], w: [3, 3, 3, 4], stride: 1, pad: 'same' },
  { x: [2, 8, 8, 3], w: [3, 3, 3, 4], stride: 2, pad: 'same' },
  { x: [2, 9, 9, 3], w: [3, 3, 3, 4], stride: 2, pad: 'same' },
  { x: [3, 16, 16, 3], w: [5, 5, 3, 8], stride: 2, pad: 'same' },
  { x: [2, 12, 12, 5], w: [4, 4, 5, 3], stride: 2, pad: 'same' },
  { x: [2, 8, 8, 3], w: [3, 3, 3, 4], stride: 1, pad: 'valid' },
  { x: [2, 10, 10, 3], w: [3, 3, 3, 4], stride: 2, pad: 'valid' },
  { x: [2, 12, 12, 2], w: [2, 2, 2, 3], stride: 2, pad: 'valid' },
  { x: [4, 32, 32, 8], w: [3, 3, 8, 8], stride: 2, pad: 'same' },
];

describe('conv2d gradients on wasm (Conv2DBackpropFilter, Conv2DBackpropInput)', () => {
  it.each(convCases)('match cpu for x=$x w=$w stride=$stride $pad', ({ x, w, stride, pad }) => {
    const rng = new Rng(x.join('') + w.join('') + stride);
    const xs = uniform(rng, x);
    const ws = uniform(rng, w);
    const probe = tf.tidy(() => tf.conv2d(tf.zeros(x) as tf.Tensor4D, tf.zeros(w) as tf.Tensor4D, stride, pad).shape);
    const cs = uniform(rng, probe);
    const grads = (t: Record<string, tf.Tensor>) =>
      tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(t.c!, tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad))))([t.x!, t.w!]);
    const inputs = { x: [xs, x], w: [ws, w], c: [cs, probe] } as Record<string, [Float32Array, number[]]>;
    const [dxCpu, dwCpu] = on('cpu', inputs, grads);
    const [dxWasm, dwWasm] = on('wasm', inputs, grads);
    expect(maxAbsDiff(dxCpu!, dxWasm!)).toBeLessThan(1e-4);
    expect(maxAbsDiff(dwCpu!, dwWasm!)).toBeLessThan(1e-4);
    // A wrong kernel is not merely imprecise: the gradients are O(1).
    expect(Math.max(...dwCpu!.map(Math.abs))).toBeGreaterThan(0.5);
  });

  it.each([16, 15])('conv2dRelu (fused kernel + registered gradient) equals relu(conv2d + bias) under autodiff on cpu, %i×%i input', (size) => {
    const rng = new Rng(11);
    const x = [2, size, size, 4];
    const w = [3, 3, 4, 6];
    const inputs = { x: [uniform(rng, x), x], w: [uniform(rng, w), w], b: [uniform(rng, [6], -0.5, 0.5), [6]], c: [uniform(rng, [2, 8, 8, 6]), [2, 8, 8, 6]] } as Record<
      string,
      [Float32Array, number[]]
    >;
    const ours = (t: Record<string, tf.Tensor>) => {
      const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(t.c!, conv2dRelu(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor1D, 2)));
      return [conv2dRelu(t.x as tf.Tensor4D, t.w as tf.Tensor4D, t.b as tf.Tensor1D, 2), ...tf.grads(f)([t.x!, t.w!, t.b!])];
    };
    const plain = (t: Record<string, tf.Tensor>) => {
      const g = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.relu(tf.add(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'), c));
      return [g(t.x!, t.w!, t.b!), ...tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(t.c!, g(a, b, c))))([t.x!, t.w!, t.b!])];
    };
    const reference = on('cpu', inputs, plain);
    for (const backend of ['cpu', 'wasm'] as const) {
      const got = on(backend, inputs, ours);
      got.forEach((g, i) => expect(maxAbsDiff(g, reference[i]!)).toBeLessThan(1e-4));
    }
  });
});

/** Shapes the native kernels take (16, 32, 48 or 64 output channels): both paddings, strides 1 and 2, odd sizes, 1–3 registers per row. */
const nativeCases: { x: number[]; w: number[]; stride: number; pad: 'same' | 'valid' }[] = [
  { x: [2, 16, 16, 3], w: [3, 3, 3, 32], stride: 1, pad: 'same' },
  { x: [3, 15, 15, 3], w: [5, 5, 3, 16], stride: 2, pad: 'same' },
  { x: [2, 16, 16, 32], w: [3, 3, 32, 32], stride: 1, pad: 'same' },
  { x: [2, 9, 11, 32], w: [3, 3, 32, 64], stride: 2, pad: 'same' },
  { x: [2, 10, 10, 16], w: [3, 3, 16, 48], stride: 1, pad: 'valid' },
  { x: [2, 11, 11, 8], w: [4, 4, 8, 16], stride: 2, pad: 'valid' },
];

describe('native conv kernels on wasm (src/tf/native)', () => {
  it('are in use here (scripts/build-native.sh built them)', () => {
    expect(nativeKernelsInUse()).toBe(true);
  });

  it.each(nativeCases)('conv2d, conv2dRelu and their gradients match cpu for x=$x w=$w stride=$stride $pad', ({ x, w, stride, pad }) => {
    const rng = new Rng(`native${x.join('')}${w.join('')}${stride}${pad}`);
    const co = w[3]!;
    const probe = tf.tidy(() => tf.conv2d(tf.zeros(x) as tf.Tensor4D, tf.zeros(w) as tf.Tensor4D, stride, pad).shape);
    const inputs = { x: [uniform(rng, x), x], w: [uniform(rng, w), w], b: [uniform(rng, [co], -0.5, 0.5), [co]], c: [uniform(rng, probe), probe] } as Record<string, [Float32Array, number[]]>;
    const plain = (t: Record<string, tf.Tensor>) => {
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad);
      return [f(t.x!, t.w!), ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(t.c!, f(a, b))))([t.x!, t.w!])];
    };
    const cpu = on('cpu', inputs, plain);
    on('wasm', inputs, plain).forEach((g, i) => expect(maxAbsDiff(g, cpu[i]!)).toBeLessThan(1e-4));
    if (pad !== 'same') return;
    const fused = (t: Record<string, tf.Tensor>) => {
      const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => conv2dRelu(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor1D, stride);
      return [f(t.x!, t.w!, t.b!), ...tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(t.c!, f(a, b, c))))([t.x!, t.w!, t.b!])];
    };
    const reference = on('cpu', inputs, fused);
    const got = on('wasm', inputs, fused);
    got.forEach((g, i) => expect(maxAbsDiff(g, reference[i]!)).toBeLessThan(1e-4));
    // ReLU must have cut: some outputs are 0 and some are not.
    expect(got[0]!.some((v) => v === 0) && got[0]!.some((v) => v > 0.5)).toBe(true);
  });
});

describe('native kernels on several threads', () => {
  // Every kernel of a pooled conv layer's forward and backward pass, with the ReLU-bias gradient.
  const layer = (t: Record<string, tf.Tensor>) => {
    const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.maxPool(conv2dRelu(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor1D, 1), 2, 2, 'same');
    return [f(t.x!, t.w!, t.b!), ...tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(t.c!, f(a, b, c))))([t.x!, t.w!, t.b!])];
  };

  it.each([
    { x: [5, 17, 17, 3], w: [3, 3, 3, 32] },
    { x: [3, 12, 12, 32], w: [3, 3, 32, 48] },
  ])('give the same bits on 1, 2 and 3 threads for x=$x w=$w', ({ x, w }) => {
    const rng = new Rng(`threads${x.join('')}${w.join('')}`);
    const co = w[3]!;
    const probe = tf.tidy(() => tf.maxPool(tf.zeros([x[0]!, x[1]!, x[2]!, co]) as tf.Tensor4D, 2, 2, 'same').shape);
    const inputs = { x: [uniform(rng, x), x], w: [uniform(rng, w), w], b: [uniform(rng, [co], -0.5, 0.5), [co]], c: [uniform(rng, probe), probe] } as Record<string, [Float32Array, number[]]>;
    try {
      const runs = [1, 2, 3].map((threads) => {
        expect(setNativeThreads(threads)).toBe(true);
        return on('wasm', inputs, layer);
      });
      for (const run of runs.slice(1)) run.forEach((out, i) => expect(out).toEqual(runs[0]![i]));
      // And they are the right bits: the cpu backend within 1e-4.
      on('cpu', inputs, layer).forEach((out, i) => expect(maxAbsDiff(out, runs[0]![i]!)).toBeLessThan(1e-4));
    } finally {
      setNativeThreads(1);
    }
  });

  it('rejects a thread count that is not a positive integer', () => {
    expect(() => setNativeThreads(0)).toThrow(/positive integer, got 0/);
    expect(() => setNativeThreads(1.5)).toThrow(/positive integer/);
  });
});

describe('native matrix products on wasm (BatchMatMul, _FusedMatMul)', () => {
  // [M, K] and [K, N] operands, transposed or not, shaped like the dense layer's three products at
  // batch 32 (forward, dx = dy · Wᵀ, dW = xᵀ · dy) but smaller, each over several units; N of 520
  // and 21 end in a partial vector.
  const cases = [
    { m: 32, k: 700, n: 64 },
    { m: 32, k: 64, n: 520 },
    { m: 300, k: 32, n: 64 },
    { m: 37, k: 13, n: 21 },
    { m: 5, k: 3, n: 1 },
  ];
  const products = (ta: boolean, tb: boolean) => (t: Record<string, tf.Tensor>) => {
    const a = ta ? tf.transpose(t.a!) : t.a!;
    const b = tb ? tf.transpose(t.b!) : t.b!;
    return [
      tf.matMul(a, b, ta, tb),
      tf.matMul(tf.expandDims(a, 0), tf.expandDims(b, 0), ta, tb),
      tf.fused.matMul({ a, b, transposeA: ta, transposeB: tb, bias: t.bias!, activation: 'relu' }),
      tf.fused.matMul({ a, b, transposeA: ta, transposeB: tb, bias: t.bias! }),
      // Two matrices at once keep wasm's kernel.
      tf.matMul(tf.stack([a, a]), tf.stack([b, b]), ta, tb),
    ];
  };

  it.each(cases.flatMap((c) => [false, true].flatMap((ta) => [false, true].map((tb) => ({ ...c, ta, tb })))))(
    'match cpu and give the same bits on 1, 2 and 3 threads: [$m, $k] · [$k, $n], transposed a $ta, b $tb',
    ({ m, k, n, ta, tb }) => {
      const rng = new Rng(`matmul${m}-${k}-${n}`);
      const inputs = { a: [uniform(rng, [m, k]), [m, k]], b: [uniform(rng, [k, n]), [k, n]], bias: [uniform(rng, [n]), [n]] } as Record<string, [Float32Array, number[]]>;
      const f = products(ta, tb);
      try {
        const runs = [1, 2, 3].map((threads) => {
          expect(setNativeThreads(threads)).toBe(true);
          return on('wasm', inputs, f);
        });
        for (const run of runs.slice(1)) run.forEach((out, i) => expect(out).toEqual(runs[0]![i]));
        const cpu = on('cpu', inputs, f);
        cpu.forEach((c, i) => expect(maxAbsDiff(c, runs[0]![i]!)).toBeLessThan(1e-4));
        expect(runs[0]![2]!.some((v) => v === 0) && runs[0]![2]!.some((v) => v > 0.1)).toBe(true);
      } finally {
        setNativeThreads(1);
      }
    },
  );

  it('helpers that fell asleep between products wake for the next one', async () => {
    const rng = new Rng('matmul-sleep');
    const inputs = { a: [uniform(rng, [64, 256]), [64, 256]], b: [uniform(rng, [256, 64]), [256, 64]] } as Record<string, [Float32Array, number[]]>;
    const f = (t: Record<string, tf.Tensor>) => [tf.matMul(t.a!, t.b!)];
    const once = on('wasm', inputs, f)[0]!;
    try {
      setNativeThreads(2);
      for (let i = 0; i < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(on('wasm', inputs, f)[0]).toEqual(once);
      }
    } finally {
      setNativeThreads(1);
    }
  });
});

describe('native head scores (what CEM ranks) on wasm', () => {
  // 64 head units take the vector kernel, 24 the plain loops.
  it.each([64, 24])('match σ(head) on cpu, on any number of threads, with %i head units', (headUnits) => {
    expect(tf.getKernel('PincerQHeadScores', 'wasm')).toBeDefined();
    const rng = new Rng(`head${headUnits}`);
    const config = { ...REFERENCE_QNET, headUnits, actionUnits: 40 };
    const b = 3;
    const n = 37; // not a multiple of the kernel's 4-row units
    const embedding = uniform(rng, [b, headUnits], -3, 3);
    const actions = uniform(rng, [b * n, config.actionDim]);
    const scores = (backend: 'cpu' | 'wasm'): Float32Array => {
      tf.setBackend(backend);
      const net = new QNetwork(config, 7);
      const q = tf.tidy(() => net.headScores(tf.tensor2d(embedding, [b, headUnits]), tf.tensor2d(actions, [b * n, config.actionDim])).dataSync() as Float32Array);
      const logits = tf.tidy(() => net.head(tf.tensor2d(embedding, [b, headUnits]), tf.tensor2d(actions, [b * n, config.actionDim])).dataSync() as Float32Array);
      net.dispose();
      tf.setBackend('wasm');
      // headScores is σ(head) on this backend too, and the scores spread (a wrong row → embedding map would not be caught otherwise).
      expect(maxAbsDiff(q, logits.map((l) => 1 / (1 + Math.exp(-l))))).toBeLessThan(1e-6);
      return q;
    };
    const cpu = scores('cpu');
    expect(Math.max(...cpu) - Math.min(...cpu)).toBeGreaterThan(0.2);
    try {
      for (const threads of [1, 2]) {
        setNativeThreads(threads);
        expect(maxAbsDiff(scores('wasm'), cpu)).toBeLessThan(1e-6);
      }
    } finally {
      setNativeThreads(1);
    }
  });
});

describe('native lookup reads (a lookup network\'s maps where each action leads) on wasm', () => {
  it.each([
    ['the point below the palm', {}],
    ['grasp points too', { points: [[0.05, 0], [-0.05, 0.01], [0, 0.03]], yawScale: Math.PI / 8 }],
  ])('give the logits, scores and weight gradients of the tf-op path on cpu, points outside the image included: %s', (_name, points) => {
    expect(tf.getKernel('PincerLookupSample', 'wasm')).toBeDefined();
    const rng = new Rng('lookup');
    const config = {
      ...REFERENCE_QNET,
      imageHeight: 16,
      imageWidth: 16,
      convs: [
        { filters: 16, kernelSize: 3, stride: 1, pool: 2 },
        { filters: 16, kernelSize: 3, stride: 1, pool: 2 },
      ],
      stateDim: 6,
      lookup: { channels: 4, layers: [0, 1], camera: cameraClipRows(defaultScene().camera), moveScale: 0.05, positionUnit: 0.1, ...points },
    };
    const b = 3;
    const n = 9;
    const images = uniform(rng, [b, 16, 16, 3], 0, 1);
    // x, y in dm: the third palm is far outside the bin, so its reads fall off the image.
    const state = Float32Array.from([0.8, 0, 1.5, 0.3, -1.2, 0, 0.2, 1, 0.4, -2.1, 1.7, 1, 0.8, 0, 2, 9, -9, 0]);
    const actions = uniform(rng, [b * n, 6]);
    const weights = uniform(rng, [b * n]);
    const run = (backend: 'cpu' | 'wasm') => {
      tf.setBackend(backend);
      const net = new QNetwork(config, 11);
      const x = tf.tensor4d(images, [b, 16, 16, 3]);
      const s = tf.tensor2d(state, [b, 6]);
      const a = tf.tensor2d(actions, [b * n, 6]);
      const embedding = net.encode(x, s);
      const logits = net.head(embedding, a).dataSync() as Float32Array;
      const scores = net.headScores(embedding, a).dataSync() as Float32Array;
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(net.head(net.encode(x, s), a), tf.tensor1d(weights))) as tf.Scalar, net.variables);
      const named = Object.fromEntries(net.namedVariables().map(({ name, variable }) => [name, grads[variable.name]!.dataSync() as Float32Array]));
      tf.dispose([x, s, a, embedding, ...Object.values(grads)]);
      net.dispose();
      tf.setBackend('wasm');
      return { logits, scores, named };
    };
    const cpu = run('cpu');
    const wasm = run('wasm');
    expect(Math.max(...cpu.logits) - Math.min(...cpu.logits)).toBeGreaterThan(0.05);
    expect(maxAbsDiff(wasm.logits, cpu.logits)).toBeLessThan(1e-4);
    expect(maxAbsDiff(wasm.scores, cpu.logits.map((l) => 1 / (1 + Math.exp(-l))))).toBeLessThan(1e-5);
    for (const [name, grad] of Object.entries(cpu.named)) {
      const scale = Math.max(1e-3, ...Array.from(grad, Math.abs));
      expect(maxAbsDiff(wasm.named[name]!, grad) / scale, name).toBeLessThan(1e-4);
    }
    // The projections get gradient through the reads (the maps are sampled, not only flattened).
    expect(Math.max(...Array.from(cpu.named['lookup/projection0']!, Math.abs))).toBeGreaterThan(0);
  });
});

describe("a lookup network's scores in one native kernel (LOOKUP_HEAD_SCORES)", () => {
  it.each([
    ['the point below the palm', {}],
    ['grasp points too', { points: [[0.03, 0], [-0.06, 0], [0, 0.025]], yawScale: Math.PI / 8 }],
  ])("give the composed kernels' scores bit for bit, on 1 and 2 threads: %s", (_name, points) => {
    const fused = tf.getKernel('PincerLookupHeadScores', 'wasm');
    expect(fused).toBeDefined();
    const rng = new Rng('fused lookup');
    const config = {
      ...REFERENCE_QNET,
      convs: [
        { filters: 32, kernelSize: 3, stride: 1, pool: 2 },
        { filters: 32, kernelSize: 3, stride: 1, pool: 2 },
        { filters: 32, kernelSize: 3, stride: 1, pool: 2 },
      ],
      stateDim: 6,
      lookup: { channels: 8, layers: [0, 1, 2], camera: cameraClipRows(defaultScene().camera), moveScale: 0.05, positionUnit: 0.1, ...points },
    };
    const b = 5;
    const n = 64;
    const net = new QNetwork(config, 3);
    // The last palm is outside the bin, so its reads fall off the image.
    const state = Float32Array.from({ length: b * 6 }, (_, i) => (i % 6 < 3 ? rng.range(0, 1) : i % 6 === 5 ? rng.range(-3, 3) : rng.range(-2, 2)));
    state.set([0, 0, 0, 9, -9, 1], (b - 1) * 6);
    const [x, s, a] = [tf.tensor4d(uniform(rng, [b, 64, 64, 3], 0, 1), [b, 64, 64, 3]), tf.tensor2d(state, [b, 6]), tf.tensor2d(uniform(rng, [b * n, 6]), [b * n, 6])];
    const embedding = net.encode(x, s);
    const scores = () => net.headScores(embedding, a).dataSync() as Float32Array;
    try {
      const composed = (() => {
        tf.unregisterKernel('PincerLookupHeadScores', 'wasm');
        try {
          return scores();
        } finally {
          tf.registerKernel(fused!);
        }
      })();
      expect(Math.max(...composed) - Math.min(...composed)).toBeGreaterThan(0.05);
      for (const threads of [1, 2]) {
        setNativeThreads(threads);
        expect(Array.from(scores())).toEqual(Array.from(composed));
      }
    } finally {
      setNativeThreads(1);
      tf.dispose([x, s, a, embedding]);
      net.dispose();
    }
  });
});

describe('native max-pool gradient on wasm', () => {
  // After a ReLU many windows tie at 0: the gradient must go where tfjs's reference kernel sends it.
  it.each([
    { x: [2, 9, 9, 32], pad: 'same' as const },
    { x: [2, 8, 8, 16], pad: 'valid' as const },
    { x: [3, 7, 10, 5], pad: 'valid' as const },
    { x: [2, 16, 16, 32], pad: 'same' as const },
  ])('matches cpu for x=$x, 2×2 windows, $pad, with ties', ({ x, pad }) => {
    const rng = new Rng(`pool${x.join('')}${pad}`);
    const probe = tf.tidy(() => tf.maxPool(tf.zeros(x) as tf.Tensor4D, 2, 2, pad).shape);
    const inputs = { x: [uniform(rng, x).map((v) => Math.max(0, v)), x], c: [uniform(rng, probe), probe] } as Record<string, [Float32Array, number[]]>;
    const f = (t: Record<string, tf.Tensor>) => [tf.grad((a: tf.Tensor) => tf.sum(tf.mul(t.c!, tf.maxPool(a as tf.Tensor4D, 2, 2, pad))))(t.x!)];
    const [cpu] = on('cpu', inputs, f);
    const [wasm] = on('wasm', inputs, f);
    expect(maxAbsDiff(cpu!, wasm!)).toBe(0);
    expect(cpu!.filter((v) => v !== 0).length).toBeGreaterThan(probe.reduce((a, b) => a * b, 1) / 2);
  });
});

describe('other kernels training needs on wasm', () => {
  // 7 channels: the JS kernel (branchless on the bits of y); 32: the native one.
  it.each([7, 32])('ReLU mask + bias gradient matches cpu, with y = +0, −0, negative and positive, %i channels', (channels) => {
    const rng = new Rng(11);
    const shape = [3, 5, 4, channels];
    const dy = uniform(rng, shape);
    const y = uniform(rng, shape).map((v, i) => (i % 5 === 0 ? 0 : i % 5 === 1 ? -0 : v));
    const inputs = { dy: [dy, shape], y: [y, shape] } as Record<string, [Float32Array, number[]]>;
    const f = (t: Record<string, tf.Tensor>) => reluBiasGrad(t.dy!, t.y!);
    const cpu = on('cpu', inputs, f);
    const wasm = on('wasm', inputs, f);
    expect(wasm[0]!.some((v, i) => v === 0 && dy[i] !== 0)).toBe(true);
    // The native kernel sums 64-row blocks in float32 before adding them in double.
    cpu.forEach((c, i) => expect(maxAbsDiff(c, wasm[i]!)).toBeLessThan(1e-5));
  });

  it('images from bytes are the bits of int32 / 255 (cpu), from a view into a larger buffer too', () => {
    const buffer = Uint8Array.from({ length: 7 + 2 * 5 * 4 * 3 }, (_, i) => (i * 37) % 256);
    const bytes = buffer.subarray(7);
    const shape: [number, number, number, number] = [2, 5, 4, 3];
    tf.setBackend('cpu');
    const cpu = tf.tidy(() => unitImages(bytes, shape).dataSync() as Float32Array);
    tf.setBackend('wasm');
    const wasm = tf.tidy(() => unitImages(bytes, shape).dataSync() as Float32Array);
    expect(wasm).toEqual(cpu);
    expect(wasm[0]).toBe(Math.fround(buffer[7]! / 255));
    expect(() => unitImages(bytes.subarray(1), shape)).toThrow(/119 bytes is not 2×5×4×3/);
  });

  it('gather copies whole slices: the bits of cpu along axes 0, 1 and −1, float32 and int32, indices repeated', () => {
    const rng = new Rng('gather');
    const shape = [5, 4, 3];
    const x = uniform(rng, shape);
    const ints = Int32Array.from(x, (v) => Math.round(v * 1000));
    const run = () =>
      tf.tidy(() => {
        const t = tf.tensor3d(x, shape as [number, number, number]);
        const i = tf.tensor3d(ints, shape as [number, number, number], 'int32');
        return [
          tf.gather(t, [4, 0, 0, 2]),
          tf.gather(t, tf.tensor2d([3, 1, 1, 0], [2, 2], 'int32'), 1),
          tf.gather(t, [2, 0], -1),
          tf.gather(i, [1, 3], 0),
        ].map((r) => ({ shape: r.shape, values: Array.from(r.dataSync()) }));
      });
    tf.setBackend('cpu');
    const cpu = run();
    tf.setBackend('wasm');
    expect(run()).toEqual(cpu);
    expect(cpu[1]!.shape).toEqual([5, 2, 2, 3]);
  });

  it('Identity shares memory (what every tensor a gradient saves goes through); a clone outlives its source and a variable\'s assign', () => {
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.clone(a);
    expect(b.dataId).toBe(a.dataId); // wasm's own Identity copies into new memory
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3]);
    const v = tf.variable(tf.tensor1d([4, 5]));
    const saved = tf.clone(v);
    v.assign(tf.tensor1d([6, 7]));
    expect(Array.from(saved.dataSync())).toEqual([4, 5]);
    expect(Array.from(v.dataSync())).toEqual([6, 7]);
    const before = tf.memory().numBytes;
    tf.dispose([b, saved, v]);
    expect(tf.memory().numBytes).toBe(before - 3 * 4 - 2 * 4 - 2 * 4);
  });

  it('transposed matMuls (dense-layer gradients) match cpu', () => {
    const rng = new Rng(3);
    const inputs = { a: [uniform(rng, [37, 21]), [37, 21]], b: [uniform(rng, [37, 13]), [37, 13]], bias: [uniform(rng, [21]), [21]] } as Record<string, [Float32Array, number[]]>;
    const f = (t: Record<string, tf.Tensor>) => [
      tf.matMul(t.a!, t.b!, true, false), // [21, 13]
      tf.matMul(t.b!, t.a!, true, false), // [13, 21]
      tf.matMul(tf.transpose(t.a!), t.a!, false, false),
      tf.matMul(t.a!, t.a!, false, true), // [37, 37]
      tf.matMul(t.a!, tf.transpose(t.a!), true, true), // [21, 21]
      tf.fused.matMul({ a: t.b!, b: t.a!, transposeA: true, bias: t.bias!, activation: 'relu' }),
    ];
    const cpu = on('cpu', inputs, f);
    const wasm = on('wasm', inputs, f);
    cpu.forEach((c, i) => expect(maxAbsDiff(c, wasm[i]!)).toBeLessThan(1e-4));
  });

  it('Adam, Huber, sigmoid cross-entropy, MSE and clip-by-global-norm steps run on wasm and match cpu', () => {
    const rng = new Rng(5);
    const inputs = { x: [uniform(rng, [16, 6]), [16, 6]], y: [uniform(rng, [16], 0, 1), [16]], w0: [uniform(rng, [6, 1]), [6, 1]] } as Record<string, [Float32Array, number[]]>;
    const run = (t: Record<string, tf.Tensor>) => {
      const w = tf.variable(t.w0!);
      const optimizer = tf.train.adam(0.05);
      const losses: tf.Tensor[] = [];
      for (let i = 0; i < 5; i++) {
        const { value, grads } = tf.variableGrads(() => {
          const logits = tf.reshape(tf.matMul(t.x!, w), [-1]);
          const q = tf.sigmoid(logits);
          return tf.addN([tf.losses.huberLoss(t.y!, q), tf.losses.sigmoidCrossEntropy(t.y!, logits), tf.losses.meanSquaredError(t.y!, q)]) as tf.Scalar;
        }, [w]);
        // Clip by global norm 0.1: g ← g · min(1, 0.1 / ‖g‖).
        const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
        const scale = tf.minimum(1, tf.div(0.1, tf.maximum(norm, 1e-12)));
        optimizer.applyGradients(Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, scale)])));
        losses.push(value);
      }
      const out = [tf.stack(losses), w.clone()];
      w.dispose();
      optimizer.dispose();
      return out;
    };
    const cpu = on('cpu', inputs, run);
    const wasm = on('wasm', inputs, run);
    expect(cpu[0]![4]).toBeLessThan(cpu[0]![0]!);
    cpu.forEach((c, i) => expect(maxAbsDiff(c, wasm[i]!)).toBeLessThan(1e-5));
  });
});

describe('backend selection', () => {
  it('reads PINCER_BACKEND and rejects unknown names with a one-line error', () => {
    expect(forcedBackend({})).toBeNull();
    expect(forcedBackend({ PINCER_BACKEND: 'cpu' })).toBe('cpu');
    expect(() => forcedBackend({ PINCER_BACKEND: 'gpu' })).toThrow(/PINCER_BACKEND must be one of node\|wasm\|cpu/);
  });

  it('initBackend is idempotent', async () => {
    expect(await initBackend()).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });
});

describe('JsAdam', () => {
  it('makes the same updates as tf.train.adam', async () => {
    const { JsAdam } = await import('../src/tf/index.js');
    const rng = new Rng(8);
    const x = tf.tensor(uniform(rng, [16, 6]), [16, 6]);
    const y = tf.tensor(uniform(rng, [16, 1]), [16, 1]);
    const w0 = uniform(rng, [6, 1]);
    const fit = (optimizer: tf.Optimizer) => {
      const w = tf.variable(tf.tensor(w0, [6, 1]));
      for (let i = 0; i < 20; i++) optimizer.minimize(() => tf.losses.huberLoss(y, tf.matMul(x, w)) as tf.Scalar, false, [w]);
      const out = w.dataSync() as Float32Array;
      w.dispose();
      optimizer.dispose();
      return out;
    };
    const ours = fit(new JsAdam({ learningRate: 0.05 }));
    const theirs = fit(tf.train.adam(0.05));
    expect(maxAbsDiff(ours, theirs)).toBeLessThan(1e-5);
    // 20 steps of 0.05 moved the weights well beyond that tolerance.
    expect(maxAbsDiff(ours, w0)).toBeGreaterThan(0.1);
    tf.dispose([x, y]);
  });

  // 40,000 weights: more than one of the kernel's blocks, so two threads share them out.
  it.each([37, 40_000])('updates %i weights with the native kernel on wasm, on 1 and 2 threads, to the same bits as its JavaScript loop (cpu)', async (size) => {
    const { JsAdam } = await import('../src/tf/index.js');
    expect(tf.getKernel('PincerAdamUpdate', 'wasm')).toBeDefined();
    const rng = new Rng(9);
    const w0 = uniform(rng, [size]);
    const grads = Array.from({ length: 6 }, () => uniform(rng, [size], -3, 3));
    const run = (backend: 'cpu' | 'wasm', threads = 1): Float32Array => {
      tf.setBackend(backend);
      setNativeThreads(threads);
      const w = tf.variable(tf.tensor1d(w0));
      const optimizer = new JsAdam({ learningRate: 0.01 });
      for (const g of grads) tf.tidy(() => optimizer.applyGradients({ [w.name]: tf.tensor1d(g) }));
      const out = w.dataSync() as Float32Array;
      w.dispose();
      optimizer.dispose();
      setNativeThreads(1);
      tf.setBackend('wasm');
      return out;
    };
    const cpu = run('cpu');
    for (const threads of [1, 2]) expect(run('wasm', threads)).toEqual(cpu);
    expect(maxAbsDiff(cpu, w0)).toBeGreaterThan(0.03);
  });
});
