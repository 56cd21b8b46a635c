/**
 * The native kernels are compiled for the CPU's own vector width (conv.cc's LANES: 16 on
 * AVX-512, 8 on AVX2), and must add in one order whatever it is, so that a run on one machine
 * gives the bits of the same run on another. Variants built with -DPINCER_LANES=4 and 16 (a
 * vector wider than the CPU's is lowered by the compiler: slow, but the same arithmetic) give
 * the built kernels' bits on every kernel that uses vectors.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../src/random/index.js';

interface Kernels {
  readonly lanes: number;
  conv2d(x: Float32Array, w: Float32Array, bias: Float32Array, out: Float32Array, dims: Int32Array, relu: boolean): void;
  filterGrad(x: Float32Array, dy: Float32Array, dw: Float32Array, dims: Int32Array): void;
  inputGrad(dy: Float32Array, w: Float32Array, dx: Float32Array, dims: Int32Array): void;
  reluBiasGrad(dy: Float32Array, y: Float32Array, dz: Float32Array, db: Float32Array): void;
  matMul(a: Float32Array, b: Float32Array, bias: Float32Array, out: Float32Array, dims: Int32Array): void;
  headScores(...arrays: [...Float32Array[], Int32Array]): void;
}

const root = fileURLToPath(new URL('..', import.meta.url));
const load = (path: string): Kernels => createRequire(import.meta.url)(path) as Kernels;
const built = load(join(root, 'dist/native/pincer-conv.node'));
const WIDTHS = [4, 16];
const variants = new Map<number, Kernels>();
let dir = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pincer-lanes-'));
  await Promise.all(
    WIDTHS.map(async (lanes) => {
      const out = join(dir, `lanes${lanes}.node`);
      await promisify(execFile)('bash', [join(root, 'scripts/build-native.sh'), out, `-DPINCER_LANES=${lanes}`]);
      variants.set(lanes, load(out));
    }),
  );
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function uniform(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.range(-1, 1));
}

/** `run` on the built kernels and on each variant: the same bits. */
function sameBits(run: (k: Kernels) => Float32Array): void {
  const expected = run(built);
  for (const lanes of WIDTHS) {
    const kernels = variants.get(lanes)!;
    expect(kernels.lanes).toBe(lanes);
    expect(run(kernels), `LANES ${lanes} against ${built.lanes}`).toEqual(expected);
  }
}

// [N, H, W, CI, OH, OW, CO, KH, KW, SH, SW, PT, PL]: the reference net's three layers at batch 2,
// and 48 and 64 channels.
const convs = [
  [2, 64, 64, 3, 32, 32, 32, 5, 5, 2, 2, 1, 1],
  [2, 32, 32, 16, 16, 16, 32, 3, 3, 2, 2, 0, 0],
  [2, 16, 16, 32, 8, 8, 32, 3, 3, 2, 2, 0, 0],
  [3, 9, 9, 8, 9, 9, 48, 3, 3, 1, 1, 1, 1],
  [2, 8, 8, 64, 8, 8, 64, 1, 1, 1, 1, 0, 0],
].map((dims) => ({ dims, shape: `${dims.slice(0, 4).join('×')} → ${dims.slice(4, 7).join('×')}, ${dims[7]}×${dims[8]} stride ${dims[9]}` }));

describe('native kernels at every vector width', () => {
  it.each(convs)('give the same bits: convolution, its two gradients and the bias gradient, $shape', ({ dims }) => {
    const [n, h, w, ci, oh, ow, co, kh, kw] = dims as [number, number, number, number, number, number, number, number, number];
    const rng = new Rng(dims.join(','));
    const d = Int32Array.from(dims);
    const x = uniform(rng, n * h * w * ci);
    const filter = uniform(rng, kh * kw * ci * co);
    const bias = uniform(rng, co);
    const dy = uniform(rng, n * oh * ow * co);
    const y = uniform(rng, dy.length);
    sameBits((k) => {
      const out = new Float32Array(dy.length);
      k.conv2d(x, filter, bias, out, d, true);
      return out;
    });
    sameBits((k) => {
      const dw = new Float32Array(filter.length);
      k.filterGrad(x, dy, dw, d);
      return dw;
    });
    sameBits((k) => {
      const dx = new Float32Array(x.length);
      k.inputGrad(dy, filter, dx, d);
      return dx;
    });
    sameBits((k) => {
      const dz = new Float32Array(dy.length);
      const db = new Float32Array(co);
      k.reluBiasGrad(dy, y, dz, db);
      return Float32Array.from([...dz, ...db]);
    });
  });

  it.each([16, 32, 64, 40])('give the same bits: the Q-head CEM ranks with, %i embedding units', (u) => {
    const rng = new Rng(`head ${u}`);
    const [b, r, ad, ua] = [5, 5 * 64, 6, 32];
    const arrays = [u * b, r * ad, ad * ua, ua, ua * u, u, 1].map((n) => uniform(rng, n));
    sameBits((k) => {
      const q = new Float32Array(r);
      k.headScores(...arrays, q, Int32Array.from([b, r, ad, ua, u]));
      return q;
    });
  });

  it.each([
    [32, 64, 2048],
    [300, 64, 32],
    [7, 5, 3],
    [64, 100, 33],
  ])('give the same bits: matrix products %i×%i over %i, every transpose, with bias and ReLU', (m, n, k) => {
    const rng = new Rng(`matmul ${m} ${n} ${k}`);
    const a = uniform(rng, m * k);
    const b = uniform(rng, k * n);
    const bias = uniform(rng, Math.max(m, n));
    for (const ta of [0, 1])
      for (const tb of [0, 1])
        sameBits((kernels) => {
          const out = new Float32Array(m * n);
          kernels.matMul(a, b, bias, out, Int32Array.from([m, n, k, ta, tb, 1]));
          return out;
        });
  });
});
