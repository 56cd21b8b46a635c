/**
 * The `--policy` language of data collection, and the policies it builds:
 *
 *   scripted | random                      a built-in policy
 *   scripted+eps:0.2                       per step, a random action with probability 0.2
 *   scripted+noise:0.3                     Gaussian noise (std 0.3, action units) on every action dim, clipped to [-1, 1]
 *   random+down:0.9                        the random policy, moving straight down (dz = -1) with probability 0.9 (Quillen et al. 2018)
 *   random+down:0.9+close:0.1              … and closing the fingers with probability 0.1 per step (else open), not half the time
 *   random+down:0.9+hold:2                 … and holding x, y and yaw still in the episode's last 2 steps (the grasp is made where it stopped)
 *   reach+aim:0.04                         the reach baseline aimed at a random object's centre plus Gaussian noise (std 0.04 m per axis)
 *   reach+aim:0.04+yaw:0.5                 … with the yaw squared to the aimed object (the scripted grasper's) in half the episodes
 *   mixture:scripted+noise:0.3=0.5,random+down:0.9=0.5   per episode, one of the above drawn by weight
 *   checkpoint:PATH                        a trained agent (a run folder: its best checkpoint; or a checkpoint folder), greedy CEM;
 *                                          collector processes load it (collect-worker.ts), buildPolicy does not
 *
 * Every draw comes from the Rng the episode runner hands to `reset`, so an
 * episode's policy choice and exploration depend only on its seed.
 */
import { ACTION_DIM, type Observation, type Policy, type StepInfo } from '../env/index.js';
import { POLICY_NAMES, RANDOM_TERMINATE_PROBABILITY, RandomPolicy, ReachPolicy, createPolicy, type PolicyName } from '../policies/index.js';
import type { Rng } from '../random/index.js';
import type { SceneConfig } from '../scene/index.js';

/** One policy, with at most one modifier. */
export type SimplePolicySpec =
  | { kind: 'builtin'; name: PolicyName }
  | { kind: 'epsilon'; base: PolicyName; epsilon: number }
  | { kind: 'noise'; base: PolicyName; std: number }
  | { kind: 'random'; down: number; close: number | null; hold: number }
  | { kind: 'aimed-reach'; spread: number; alignedYaw: number };

export type PolicySpec = SimplePolicySpec | { kind: 'mixture'; components: { spec: SimplePolicySpec; weight: number }[] } | { kind: 'checkpoint'; path: string };

/** A `--policy` string that does not parse; the message names the problem in one line. */
export class PolicySpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicySpecError';
  }
}

/** The modifiers only the random policy takes, together. */
const RANDOM_MODIFIERS: readonly string[] = ['down', 'close', 'hold'];

const GRAMMAR = `${POLICY_NAMES.join('|')}, NAME+eps:E, NAME+noise:S, random+down:P[+close:Q][+hold:K], random+close:Q, reach+aim:S[+yaw:P], mixture:SPEC=W,SPEC=W,... or checkpoint:PATH`;

function builtin(name: string, text: string): PolicyName {
  if (!(POLICY_NAMES as readonly string[]).includes(name)) {
    throw new PolicySpecError(`unknown policy '${name}' in '${text}' (expected ${POLICY_NAMES.join(' or ')})`);
  }
  return name as PolicyName;
}

function probability(value: string, what: string, text: string): number {
  const p = Number(value);
  if (value.trim() === '' || !Number.isFinite(p) || p < 0 || p > 1) throw new PolicySpecError(`${what} must be a number in [0, 1], got '${value}' in '${text}'`);
  return p;
}

function stepCount(value: string, what: string, text: string): number {
  const k = Number(value);
  if (value.trim() === '' || !Number.isInteger(k) || k < 0) throw new PolicySpecError(`${what} must be a whole number of steps >= 0, got '${value}' in '${text}'`);
  return k;
}

function nonNegative(value: string, what: string, text: string): number {
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x) || x < 0) throw new PolicySpecError(`${what} must be a number >= 0, got '${value}' in '${text}'`);
  return x;
}

/** NAME, NAME+MODIFIER:VALUE, or random with +down, +close and +hold (each at most once); null when `s` does not have that shape. */
function parseSimple(s: string, text: string): SimplePolicySpec | null {
  const m = /^([a-z]+)((?:\+[a-z]+:[^+]*)*)$/.exec(s);
  if (!m) return null;
  const [, name, tail] = m;
  const base = builtin(name!, text);
  const modifiers = [...tail!.matchAll(/\+([a-z]+):([^+]*)/g)].map(([, modifier, value]) => ({ modifier: modifier!, value: value! }));
  if (modifiers.length === 0) return { kind: 'builtin', name: base };
  if (modifiers.every((x) => RANDOM_MODIFIERS.includes(x.modifier))) {
    if (base !== 'random') throw new PolicySpecError(`+${modifiers[0]!.modifier} applies to the random policy only, in '${text}'`);
    const value = (which: string) => modifiers.filter((x) => x.modifier === which);
    for (const which of RANDOM_MODIFIERS) if (value(which).length > 1) throw new PolicySpecError(`+${which} given twice in '${text}'`);
    const down = value('down')[0];
    const close = value('close')[0];
    const hold = value('hold')[0];
    return {
      kind: 'random',
      down: down ? probability(down.value, 'down', text) : 0,
      close: close ? probability(close.value, 'close', text) : null,
      hold: hold ? stepCount(hold.value, 'hold', text) : 0,
    };
  }
  if (base === 'reach' && modifiers.length === 2 && modifiers[0]!.modifier === 'aim' && modifiers[1]!.modifier === 'yaw') {
    return { kind: 'aimed-reach', spread: nonNegative(modifiers[0]!.value, 'aim', text), alignedYaw: probability(modifiers[1]!.value, 'yaw', text) };
  }
  if (modifiers.length > 1) throw new PolicySpecError(`only the random policy (+down, +close, +hold) and the aimed reach (+aim then +yaw) take several modifiers, in '${text}'`);
  const { modifier, value } = modifiers[0]!;
  if (modifier === 'eps') return { kind: 'epsilon', base, epsilon: probability(value, 'eps', text) };
  if (modifier === 'noise') return { kind: 'noise', base, std: nonNegative(value, 'noise', text) };
  if (modifier === 'aim') {
    if (base !== 'reach') throw new PolicySpecError(`+aim applies to the reach policy only, in '${text}'`);
    return { kind: 'aimed-reach', spread: nonNegative(value, 'aim', text), alignedYaw: 0 };
  }
  if (modifier === 'yaw') throw new PolicySpecError(`+yaw follows +aim on the reach policy (reach+aim:S+yaw:P), in '${text}'`);
  throw new PolicySpecError(`unknown modifier '+${modifier}' in '${text}' (expected +eps, +noise, +down, +close, +hold, +aim or +yaw)`);
}

export function parsePolicySpec(text: string): PolicySpec {
  const s = text.trim();
  if (s.startsWith('checkpoint:')) {
    const path = s.slice('checkpoint:'.length);
    if (path === '') throw new PolicySpecError(`checkpoint policy needs a path: checkpoint:PATH`);
    return { kind: 'checkpoint', path };
  }
  if (s.startsWith('mixture:')) {
    const parts = s.slice('mixture:'.length).split(',');
    const components = parts.map((part) => {
      const at = part.lastIndexOf('=');
      const spec = at > 0 ? parseSimple(part.slice(0, at).trim(), text) : null;
      if (!spec) throw new PolicySpecError(`mixture component '${part}' must be SPEC=WEIGHT (SPEC: NAME or NAME+MODIFIER:VALUE) in '${text}'`);
      return { spec, weight: probability(part.slice(at + 1), `weight of ${part.slice(0, at).trim()}`, text) };
    });
    const keys = components.map((c) => JSON.stringify(c.spec));
    if (new Set(keys).size !== keys.length) throw new PolicySpecError(`mixture names a policy twice in '${text}'`);
    const total = components.reduce((sum, c) => sum + c.weight, 0);
    if (Math.abs(total - 1) > 1e-9) throw new PolicySpecError(`mixture weights must sum to 1, got ${total} in '${text}'`);
    return { kind: 'mixture', components };
  }
  const simple = parseSimple(s, text);
  if (simple) return simple;
  throw new PolicySpecError(`--policy must be ${GRAMMAR}, got '${text}'`);
}

/** Per episode, one component drawn by weight; `name` is the component acting in the current episode. */
class MixturePolicy implements Policy {
  private active: Policy;

  constructor(private readonly components: { policy: Policy; weight: number }[]) {
    this.active = components[0].policy;
  }

  get name(): string {
    return this.active.name;
  }

  reset(rng: Rng): void {
    const u = rng.uniform();
    let acc = 0;
    this.active = this.components[this.components.length - 1].policy;
    for (const c of this.components) {
      acc += c.weight;
      if (u < acc) {
        this.active = c.policy;
        break;
      }
    }
    this.active.reset(rng.fork());
  }

  act(obs: Observation, info: StepInfo): Float32Array {
    return this.active.act(obs, info);
  }
}

/**
 * ε-greedy around a base policy: the base acts every step (so a stateful
 * scripted plan keeps its phase), and with probability ε its action is
 * replaced by the random policy's.
 */
class EpsilonPolicy implements Policy {
  readonly name: string;
  private readonly random = new RandomPolicy();
  private rng: Rng | null = null;

  constructor(
    private readonly base: Policy,
    private readonly epsilon: number,
  ) {
    this.name = `${base.name}+eps:${epsilon}`;
  }

  reset(rng: Rng): void {
    this.rng = rng;
    this.base.reset(rng.fork());
    this.random.reset(rng.fork());
  }

  act(obs: Observation, info: StepInfo): Float32Array {
    const planned = this.base.act(obs, info);
    const explored = this.random.act(obs, info);
    if (!this.rng) throw new Error('EpsilonPolicy.act before reset');
    return this.rng.bernoulli(this.epsilon) ? explored : planned;
  }
}

/** Gaussian noise on every dim of a base policy's action (the base still acts every step, keeping its plan's phase). */
class NoisyPolicy implements Policy {
  readonly name: string;
  private rng: Rng | null = null;

  constructor(
    private readonly base: Policy,
    private readonly std: number,
  ) {
    this.name = `${base.name}+noise:${std}`;
  }

  reset(rng: Rng): void {
    this.rng = rng;
    this.base.reset(rng.fork());
  }

  act(obs: Observation, info: StepInfo): Float32Array {
    if (!this.rng) throw new Error('NoisyPolicy.act before reset');
    const action = Float32Array.from(this.base.act(obs, info));
    for (let d = 0; d < ACTION_DIM; d++) action[d] = Math.min(1, Math.max(-1, action[d] + this.std * this.rng.normal()));
    return action;
  }
}

function buildSimple(spec: SimplePolicySpec, scene: SceneConfig): Policy {
  switch (spec.kind) {
    case 'builtin':
      return createPolicy(spec.name, scene);
    case 'epsilon':
      return new EpsilonPolicy(createPolicy(spec.base, scene), spec.epsilon);
    case 'noise':
      return new NoisyPolicy(createPolicy(spec.base, scene), spec.std);
    case 'random':
      return new RandomPolicy(RANDOM_TERMINATE_PROBABILITY, spec.down, spec.close, spec.hold > 0 ? { steps: spec.hold, maxSteps: scene.episode.maxSteps } : null);
    case 'aimed-reach':
      return new ReachPolicy(scene, spec.spread, spec.alignedYaw);
  }
}

/** Build the policy a spec names. */
export function buildPolicy(spec: PolicySpec, scene: SceneConfig): Policy {
  switch (spec.kind) {
    case 'mixture':
      return new MixturePolicy(spec.components.map((c) => ({ policy: buildSimple(c.spec, scene), weight: c.weight })));
    case 'checkpoint':
      throw new PolicySpecError(`--policy checkpoint:${spec.path}: a trained agent is loaded by a collector process (collect-worker.ts), not built here`);
    default:
      return buildSimple(spec, scene);
  }
}
