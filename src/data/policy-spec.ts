/**
 * The `--policy` language of data collection, and the policies it builds:
 *
 *   scripted | random                      a built-in policy
 *   mixture:scripted=0.3,random=0.7        per episode, one built-in drawn by weight
 *   mixture:scripted+eps:0.2=0.8,random=0.2   components may carry their own ε
 *   scripted+eps:0.2                       per step, a random action with probability 0.2
 *   checkpoint:PATH                        a trained agent (not supported yet)
 *
 * Every draw comes from the Rng the episode runner hands to `reset`, so an
 * episode's policy choice and exploration depend only on its seed.
 */
import type { Observation, Policy, StepInfo } from '../env/index.js';
import { POLICY_NAMES, RandomPolicy, createPolicy, type PolicyName } from '../policies/index.js';
import type { Rng } from '../random/index.js';
import type { SceneConfig } from '../scene/index.js';

export type PolicySpec =
  | { kind: 'builtin'; name: PolicyName }
  | { kind: 'mixture'; components: { name: PolicyName; weight: number; epsilon?: number }[] }
  | { kind: 'epsilon'; base: PolicyName; epsilon: number }
  | { kind: 'checkpoint'; path: string };

/** A `--policy` string that does not parse; the message names the problem in one line. */
export class PolicySpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicySpecError';
  }
}

const GRAMMAR = `${POLICY_NAMES.join('|')}, mixture:NAME=W,NAME=W,..., NAME+eps:E or checkpoint:PATH`;

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
      const m = /^([a-z]+)(?:\+eps:([^=]*))?=(.*)$/.exec(part.trim());
      if (!m) throw new PolicySpecError(`mixture component '${part}' must be NAME=WEIGHT or NAME+eps:E=WEIGHT in '${text}'`);
      const component = { name: builtin(m[1], text), weight: probability(m[3], `weight of ${m[1]}`, text) };
      return m[2] === undefined ? component : { ...component, epsilon: probability(m[2], 'eps', text) };
    });
    const names = components.map((c) => (c.epsilon === undefined ? c.name : `${c.name}+eps:${c.epsilon}`));
    if (new Set(names).size !== names.length) throw new PolicySpecError(`mixture names a policy twice in '${text}'`);
    const total = components.reduce((sum, c) => sum + c.weight, 0);
    if (Math.abs(total - 1) > 1e-9) throw new PolicySpecError(`mixture weights must sum to 1, got ${total} in '${text}'`);
    return { kind: 'mixture', components };
  }
  const eps = /^([a-z]+)\+eps:(.*)$/.exec(s);
  if (eps) return { kind: 'epsilon', base: builtin(eps[1], text), epsilon: probability(eps[2], 'eps', text) };
  if (/^[a-z]+$/.test(s)) return { kind: 'builtin', name: builtin(s, text) };
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

/** Build the policy a spec names. */
export function buildPolicy(spec: PolicySpec, scene: SceneConfig): Policy {
  switch (spec.kind) {
    case 'builtin':
      return createPolicy(spec.name, scene);
    case 'mixture':
      return new MixturePolicy(
        spec.components.map((c) => ({ policy: c.epsilon === undefined ? createPolicy(c.name, scene) : new EpsilonPolicy(createPolicy(c.name, scene), c.epsilon), weight: c.weight })),
      );
    case 'epsilon':
      return new EpsilonPolicy(createPolicy(spec.base, scene), spec.epsilon);
    case 'checkpoint':
      throw new PolicySpecError(`--policy checkpoint:${spec.path}: collecting with a trained checkpoint is not supported yet`);
  }
}
