/**
 * The live view: a GraspEnv built in the page from the same sim, render, env
 * and policy code as Node (Rapier's wasm build, three.js on a canvas), stepped
 * one `Episode` step at a time. One WebGL context serves both views: the
 * robot camera renders off-screen (what the agent sees, read back into the
 * observation) and the orbit view draws the same posed scene onto the canvas.
 */
import { ArrowHelper, Group, Mesh, PerspectiveCamera } from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { Episode, GraspEnv, gripperState, splitObjectSource, type Policy, type StepResult } from '../../env/index.js';
import type { LibrarySplit, ObjectSpec } from '../../objects/index.js';
import { createPolicy, type PolicyName } from '../../policies/index.js';
import { Renderer } from '../../render/index.js';
import type { SceneConfig } from '../../scene/index.js';
import { createGraspWorld } from '../../sim/index.js';
import { byId, drawRgb, fillList, fmt, row, setText } from './dom.js';
import { gripperRows } from './gripper.js';
import { drawPolicyView, ViewedCemPolicy, type LoadedCheckpoint } from './policy.js';

/** Orbit view size, px. */
const VIEW_WIDTH = 480;
const VIEW_HEIGHT = 360;

/** A built-in policy, or 'checkpoint' for the served checkpoint. */
export type PolicyChoice = PolicyName | 'checkpoint';

export interface LiveSettings {
  scene: SceneConfig;
  sceneName: string;
  split: LibrarySplit;
  policy: PolicyChoice;
  seed: number;
}

/** The env, its views and the current episode. Rebuilt when the scene or split changes. */
export class LiveView {
  readonly env: GraspEnv;
  episode!: Episode;
  /** Time spent drawing the orbit view and the camera image, ms (for the frame-rate measurement). */
  viewMs = 0;
  /** Fingertip position when the last action was chosen (where its arrows start). */
  private lastTip: number[] | null = null;
  /** Draw the orbit view on every step (off: the benchmark's peer without the 3D view). */
  orbitView = true;
  private policy!: Policy;
  private readonly renderer: Renderer;
  private readonly camera = new PerspectiveCamera(40, VIEW_WIDTH / VIEW_HEIGHT, 0.01, 20);
  private readonly controls: OrbitControls;
  /** CEM arrows and the heat map, drawn over the orbit view only. */
  private readonly overlay = new Group();
  /** The served checkpoint, once loaded. */
  checkpoint: LoadedCheckpoint | null = null;
  /** The episode's objects as the table shows them (the env hands out one array per episode). */
  private tabledObjects: readonly ObjectSpec[] | null = null;

  private constructor(
    readonly settings: LiveSettings,
    env: GraspEnv,
    renderer: Renderer,
    canvas: HTMLCanvasElement,
  ) {
    this.env = env;
    this.renderer = renderer;
    this.camera.up.set(0, 0, 1);
    this.camera.position.set(0.5, -0.9, 0.75);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.target.set(0, 0, 0.1);
    this.controls.update();
    this.controls.addEventListener('change', () => this.drawViews());
  }

  /** Build the world (awaits Rapier's wasm) and a renderer on a fresh orbit canvas (the old one, if any, is replaced). */
  static async create(settings: LiveSettings, checkpoint: LoadedCheckpoint | null = null): Promise<LiveView> {
    const old = byId<HTMLCanvasElement>('orbit');
    const canvas = document.createElement('canvas');
    canvas.id = 'orbit';
    canvas.width = VIEW_WIDTH;
    canvas.height = VIEW_HEIGHT;
    old.replaceWith(canvas);
    const world = await createGraspWorld(settings.scene);
    const context = canvas.getContext('webgl2', { antialias: false });
    if (!context) throw new Error('this browser gives no WebGL2 context; the viewer needs WebGL2');
    const renderer = new Renderer(settings.scene, [], { canvas, context });
    const env = new GraspEnv({ scene: settings.scene, split: settings.split, objectSource: splitObjectSource(settings.split), world, renderer });
    const view = new LiveView(settings, env, renderer, canvas);
    view.checkpoint = checkpoint;
    view.newEpisode(settings.policy, settings.seed);
    return view;
  }

  /** Reset to `seed` with `policy` (same seed, scene and policy: the same episode as in Node). */
  newEpisode(policy: PolicyChoice, seed: number): void {
    this.settings.policy = policy;
    this.settings.seed = seed;
    if (policy === 'checkpoint') {
      if (!this.checkpoint) throw new Error('no checkpoint is loaded (start pincer view with --policy RUN|CHECKPOINT)');
      this.policy = new ViewedCemPolicy(this.checkpoint);
    } else {
      this.policy = createPolicy(policy, this.settings.scene);
    }
    this.episode = new Episode(this.env, this.policy, seed);
    this.show(null);
  }

  /** One env step (sim and camera render), then both views and the panel. */
  step(): StepResult | null {
    if (this.episode.done) return null;
    const result = this.episode.step();
    this.show(result);
    return result;
  }

  /**
   * The orbit view and the robot camera image of the current observation. The
   * orbit view's commands are flushed at once, so the GPU process rasterizes it
   * while the page updates its panel, instead of after the frame's last script.
   */
  drawViews(): void {
    const t0 = performance.now();
    if (this.orbitView) {
      this.renderer.drawView(this.camera, this.overlay);
      this.renderer.webgl.getContext().flush();
    }
    const obs = this.episode.obs;
    drawRgb(byId('camera'), obs.image, obs.imageWidth, obs.imageHeight);
    this.viewMs += performance.now() - t0;
  }

  private show(result: StepResult | null): void {
    const { obs, info, steps } = this.episode;
    const { scene } = this.settings;
    const viewed = this.policy instanceof ViewedCemPolicy ? this.policy : null;
    // The policy's view of the step it just chose, drawn from where the fingertips were then.
    const tip = (steps.length > 0 ? this.lastTip : null) ?? info.privileged.snapshot.gripper.position;
    drawPolicyView(this.overlay, viewed?.last ?? null, tip, scene);
    this.lastTip = [...info.privileged.snapshot.gripper.position];
    // The views first: the GPU works on them while the panel below is laid out.
    this.drawViews();
    setText(byId('camera-caption'), `robot camera (${obs.imageWidth}×${obs.imageHeight}, what the agent sees)`);
    const last = steps.at(-1);
    fillList(byId('episode'), [
      ['scene', this.settings.sceneName],
      ['split', this.settings.split],
      ['seed', String(this.settings.seed)],
      ['policy', this.policy.name],
      ['step', `${steps.length} / ${scene.episode.maxSteps}`],
      ['action', last ? `[${Array.from(last.action, (a) => fmt(a, 2)).join(', ')}]` : '—'],
      ['reward', last ? fmt(last.reward, 3) : '—'],
    ]);
    fillList(byId('gripper'), gripperRows(gripperState(obs)));
    const prediction = byId('prediction');
    if (viewed) {
      const p = viewed.predictions;
      setText(prediction, p.length === 0 ? 'predicted success: —' :
        `predicted success of the chosen action: ${fmt(p[p.length - 1], 3)} (first step ${fmt(p[0], 3)})`);
    } else {
      setText(prediction, '');
    }
    const outcome = byId('outcome');
    const evaluation = result?.info.evaluation ?? (this.episode.done ? info.evaluation : undefined);
    if (evaluation) {
      outcome.className = evaluation.success ? 'success' : 'failure';
      setText(outcome,
        `${evaluation.success ? 'success' : 'failure'}: fingers ${evaluation.isGrasped ? 'blocked' : 'closed on nothing'}, ` +
        `drop test ${evaluation.dropDetected ? 'saw a drop' : 'saw no drop'}; ground truth ${evaluation.groundTruthSuccess ? 'lifted' : 'nothing lifted'}`);
    } else {
      outcome.className = '';
      setText(outcome, 'running');
    }
    const { objects } = info.privileged;
    if (objects !== this.tabledObjects) {
      byId<HTMLTableElement>('objects').tBodies[0].replaceChildren(...objects.map((o) => row([o.id, o.kind, fmt(o.mass, 3)])));
      this.tabledObjects = objects;
    }
  }

  /** What the orbit view's overlay holds: arrows (CEM candidates, elites, the chosen action) and heat maps. */
  overlayCounts(): { arrows: number; heat: number } {
    const kids = this.overlay.children;
    return { arrows: kids.filter((c) => c instanceof ArrowHelper).length, heat: kids.filter((c) => c instanceof Mesh).length };
  }

  dispose(): void {
    this.controls.dispose();
    this.env.close();
  }
}
