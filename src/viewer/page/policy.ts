/**
 * A trained checkpoint acting in the page: the same QNetwork and CemPolicy as
 * Node, on tfjs's WebGL backend (wasm as the fallback, or the one the URL's
 * `?backend=` asks for), plus what the policy "thinks": the last CEM
 * iteration's candidates and elites as arrows from the fingertips, and a heat
 * map of predicted success over the (dx, dy) moves of one step at the current
 * height and yaw (with the chosen close/terminate).
 */
import * as tf from '@tensorflow/tfjs';
import { ArrowHelper, BufferAttribute, DoubleSide, Group, Mesh, MeshBasicMaterial, PlaneGeometry, Vector3 } from 'three';
import { ACTION_DIM, type Observation, type Policy, type StepInfo } from '../../env/index.js';
import type { Rng } from '../../random/index.js';
import { CemPolicy, decodeCheckpoint, imagesTensor, MODEL_FILE, resolveQtOptConfig, stateInput, WEIGHTS_FILE, type QtOptConfig } from '../../qtopt/index.js';
import type { SceneConfig } from '../../scene/index.js';
import { initBrowserBackend, type BrowserBackendName, type QNetwork } from '../../tf/index.js';
import type { ViewerConfig } from '../protocol.js';
import { fetchJson } from './dom.js';

/** Heat map resolution per axis (dx and dy in [-1, 1]). */
const HEAT_SIZE = 15;

export interface LoadedCheckpoint {
  net: QNetwork;
  config: QtOptConfig;
  backend: BrowserBackendName;
  name: string;
}

/**
 * Fetch and decode the served checkpoint on tfjs's `backend` (default: WebGL,
 * else wasm); a missing or corrupt one is a CheckpointError naming the file.
 */
export async function loadCheckpoint(info: NonNullable<ViewerConfig['checkpoint']>, backend?: BrowserBackendName): Promise<LoadedCheckpoint> {
  const inUse = await initBrowserBackend('files/tfjs/', backend);
  const model = await fetchJson<unknown>(`${info.url}${MODEL_FILE}`);
  const res = await fetch(`${info.url}${WEIGHTS_FILE}`);
  if (!res.ok) throw new Error(`${info.url}${WEIGHTS_FILE}: ${res.status} ${(await res.text()).trim()}`);
  const net = decodeCheckpoint(model, new Uint8Array(await res.arrayBuffer()), info.name);
  const saved = (info.runConfig as { qtopt?: Record<string, unknown> } | null)?.qtopt ?? {};
  const config = resolveQtOptConfig({ ...saved, network: { ...net.config, convs: [...net.config.convs] } }, info.name);
  return { net, config, backend: inUse, name: info.name };
}

/** The actions the network's head scored in one act() call, in call order ([N, A] each) with their Q ([N]). */
interface Scored {
  actions: Float32Array;
  q: Float32Array;
}

/** The network with its head watched: every scored action set is recorded (the policy itself is unchanged). */
function watchedNet(net: QNetwork, log: Scored[]): QNetwork {
  return new Proxy(net, {
    get(target, prop) {
      if (prop === 'headScores') {
        return (embedding: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor1D => {
          const q = target.headScores(embedding, actions);
          log.push({ actions: actions.dataSync().slice() as Float32Array, q: q.dataSync().slice() as Float32Array });
          return q;
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** What the last act() showed: CEM's last iteration, its elites, the chosen action and the heat map. */
export interface PolicyView {
  candidates: Float32Array; // [N, A]
  elites: Float32Array; // [M, A]
  chosen: Float32Array; // [A]
  prediction: number;
  /** Predicted success over dx (columns) × dy (rows, dy = −1 first), [HEAT_SIZE²]. */
  heat: Float32Array;
}

/** CemPolicy on the checkpoint's network, recording what it scored for the views. */
export class ViewedCemPolicy implements Policy {
  readonly name: string;
  last: PolicyView | null = null;
  /** Predicted success of each step's chosen action, this episode. */
  predictions: number[] = [];
  private readonly log: Scored[] = [];
  private readonly policy: CemPolicy;

  constructor(private readonly checkpoint: LoadedCheckpoint) {
    this.policy = new CemPolicy(watchedNet(checkpoint.net, this.log), checkpoint.config, { name: `cem:${checkpoint.name}` });
    this.name = this.policy.name;
  }

  reset(rng: Rng): void {
    this.policy.reset(rng);
    this.last = null;
    this.predictions = [];
  }

  act(obs: Observation, info: StepInfo): Float32Array {
    this.log.length = 0;
    const chosen = this.policy.act(obs, info);
    const { samples, elites: m } = this.policy.search;
    const iteration = [...this.log].reverse().find((s) => s.q.length === samples);
    const candidates = iteration?.actions ?? new Float32Array(0);
    const order = iteration ? Array.from(iteration.q.keys()).sort((i, j) => iteration.q[j] - iteration.q[i]).slice(0, m) : [];
    const elites = new Float32Array(order.length * ACTION_DIM);
    order.forEach((i, k) => elites.set(candidates.subarray(i * ACTION_DIM, (i + 1) * ACTION_DIM), k * ACTION_DIM));
    this.last = { candidates, elites, chosen, prediction: this.policy.lastPrediction, heat: this.heatMap(obs, chosen) };
    this.predictions.push(this.policy.lastPrediction);
    return chosen;
  }

  /** Q over a HEAT_SIZE² grid of (dx, dy) with dz = dyaw = 0 and the chosen close/terminate. */
  private heatMap(obs: Observation, chosen: Float32Array): Float32Array {
    const { net, config } = this.checkpoint;
    const { imageHeight: h, imageWidth: w, imageChannels: c, stateDim } = config.network;
    const grid = new Float32Array(HEAT_SIZE * HEAT_SIZE * ACTION_DIM); // [G², A]
    for (let row = 0; row < HEAT_SIZE; row++) {
      for (let col = 0; col < HEAT_SIZE; col++) {
        const k = (row * HEAT_SIZE + col) * ACTION_DIM;
        grid[k] = -1 + (2 * col) / (HEAT_SIZE - 1);
        grid[k + 1] = -1 + (2 * row) / (HEAT_SIZE - 1);
        grid[k + 4] = chosen[4];
        grid[k + 5] = chosen[5];
      }
    }
    return tf.tidy(
      () =>
        net
          .scoreActions(imagesTensor(obs.image, 1, h, w, c), stateInput(obs, stateDim), tf.tensor2d(grid, [HEAT_SIZE * HEAT_SIZE, ACTION_DIM]))
          .dataSync() as Float32Array,
    );
  }
}

const heatMaterial = new MeshBasicMaterial({ vertexColors: true, transparent: true, opacity: 0.55, side: DoubleSide, depthWrite: false });
const _dir = new Vector3();
const _origin = new Vector3();

/** Q in [0, 1] as a colour from dark blue (0) through green to yellow (1). */
function heatColor(q: number, out: Float32Array, k: number): void {
  out[k] = Math.min(1, 2 * q * q);
  out[k + 1] = 0.15 + 0.8 * q;
  out[k + 2] = 0.6 * (1 - q);
}

/** Rebuild `overlay` for `view`: arrows from the fingertips at `tip` (world m), the heat map at the tip's height. */
export function drawPolicyView(overlay: Group, view: PolicyView | null, tip: readonly number[], scene: SceneConfig): void {
  for (const child of [...overlay.children]) {
    overlay.remove(child);
    if (child instanceof ArrowHelper) child.dispose();
    if (child instanceof Mesh) child.geometry.dispose();
  }
  if (!view) return;
  const { maxTranslationXY: xy, maxTranslationZ: z } = scene.action;
  const arrow = (actions: Float32Array, i: number, color: number): void => {
    const a = actions.subarray(i * ACTION_DIM, (i + 1) * ACTION_DIM);
    _dir.set(a[0] * xy, a[1] * xy, a[2] * z);
    const length = _dir.length();
    if (length < 1e-4) return;
    _origin.set(tip[0], tip[1], tip[2]);
    overlay.add(new ArrowHelper(_dir.normalize(), _origin, length, color, Math.min(0.01, length / 3), Math.min(0.006, length / 5)));
  };
  for (let i = 0; i < view.candidates.length / ACTION_DIM; i++) arrow(view.candidates, i, 0x8a8a8a);
  for (let i = 0; i < view.elites.length / ACTION_DIM; i++) arrow(view.elites, i, 0xff8c00);
  arrow(view.chosen, 0, 0x00c040);
  const plane = new PlaneGeometry(2 * xy, 2 * xy, HEAT_SIZE - 1, HEAT_SIZE - 1);
  const colors = new Float32Array(HEAT_SIZE * HEAT_SIZE * 3);
  // PlaneGeometry's vertices run row by row from +y to −y; the heat map's rows from dy = −1 up.
  for (let row = 0; row < HEAT_SIZE; row++) {
    for (let col = 0; col < HEAT_SIZE; col++) heatColor(view.heat[(HEAT_SIZE - 1 - row) * HEAT_SIZE + col], colors, (row * HEAT_SIZE + col) * 3);
  }
  plane.setAttribute('color', new BufferAttribute(colors, 3));
  const heat = new Mesh(plane, heatMaterial);
  heat.position.set(tip[0], tip[1], tip[2]);
  overlay.add(heat);
}
