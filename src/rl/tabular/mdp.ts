/**
 * Small finite MDPs with explicit transition tables, the ground truth that the
 * Q-learning pieces are checked against before they are trusted on CartPole and images.
 *
 * Convention: a transition that ends the episode has `terminal: true`, so its
 * target is the reward alone (no bootstrap). Terminal cells are absorbing with
 * reward 0, so their Q-values are 0 and never matter.
 */

/** One outcome of taking an action in a state. */
export interface Outcome {
  /** Probability of this outcome; the outcomes of a (state, action) sum to 1. */
  prob: number;
  /** Index of the next state. */
  next: number;
  /** Reward received on this transition. */
  reward: number;
  /** The episode ends on this transition (no bootstrap from `next`). */
  terminal: boolean;
}

export interface TabularMdp {
  nStates: number;
  nActions: number;
  /** Discount factor γ in [0, 1). */
  gamma: number;
  /** outcomes[s][a]: the distribution over what follows action a in state s. */
  outcomes: Outcome[][][];
  /** Grid coordinates of each state [row, col], for features and printing. */
  coords: [number, number][];
}

/** Gridworld actions, in this order. */
export const GRID_ACTIONS = ['up', 'right', 'down', 'left'] as const;
const MOVES: [number, number][] = [
  [-1, 0],
  [0, 1],
  [1, 0],
  [0, -1],
];

export interface GridworldConfig {
  /**
   * Rows of the map, one character per cell: `.` free, `#` wall, `G` goal
   * (+`goalReward`, ends the episode), `T` trap (+`trapReward`, ends the episode), `S` free.
   */
  layout: readonly string[];
  /** Discount factor γ. */
  gamma: number;
  /**
   * Probability that the move slips to each of the two perpendicular directions
   * (Russell and Norvig's 4x3 world uses 0.1, so the intended move happens with 0.8).
   * 0 makes the world deterministic.
   */
  slip: number;
  /** Reward for entering the goal. */
  goalReward: number;
  /** Reward for entering the trap. */
  trapReward: number;
  /** Reward for every step that does not end the episode. */
  stepReward: number;
}

export const DEFAULT_GRIDWORLD: Readonly<GridworldConfig> = Object.freeze({
  layout: ['...G', '.#.T', 'S...'],
  gamma: 0.9,
  slip: 0.1,
  goalReward: 1,
  trapReward: -1,
  stepReward: 0,
});

/**
 * A gridworld MDP. Moving into a wall or off the map leaves the agent in place.
 * States are the non-wall cells in row-major order.
 */
export function gridworld(overrides: Partial<GridworldConfig> = {}): TabularMdp {
  const cfg = { ...DEFAULT_GRIDWORLD, ...overrides };
  if (!(cfg.slip >= 0 && cfg.slip <= 0.5)) throw new Error(`gridworld: slip must be in [0, 0.5], got ${cfg.slip}`);
  if (!(cfg.gamma >= 0 && cfg.gamma < 1)) throw new Error(`gridworld: gamma must be in [0, 1), got ${cfg.gamma}`);
  const rows = cfg.layout.length;
  const cols = cfg.layout[0].length;
  const index = new Map<string, number>();
  const coords: [number, number][] = [];
  for (let r = 0; r < rows; r++) {
    if (cfg.layout[r].length !== cols) throw new Error('gridworld: layout rows must have equal length');
    for (let c = 0; c < cols; c++) {
      if (cfg.layout[r][c] === '#') continue;
      index.set(`${r},${c}`, coords.length);
      coords.push([r, c]);
    }
  }
  const cell = (r: number, c: number) => cfg.layout[r][c];
  const isEnd = (s: number) => 'GT'.includes(cell(...coords[s]));

  const target = (s: number, move: number): number => {
    const [r, c] = coords[s];
    const next = index.get(`${r + MOVES[move][0]},${c + MOVES[move][1]}`);
    return next ?? s;
  };

  const outcomes = coords.map((_, s) =>
    GRID_ACTIONS.map((_a, a) => {
      if (isEnd(s)) return [{ prob: 1, next: s, reward: 0, terminal: true }];
      const moves: [number, number][] = [
        [a, 1 - 2 * cfg.slip],
        [(a + 1) % 4, cfg.slip],
        [(a + 3) % 4, cfg.slip],
      ];
      const merged = new Map<number, number>();
      for (const [m, p] of moves) {
        if (p === 0) continue;
        const next = target(s, m);
        merged.set(next, (merged.get(next) ?? 0) + p);
      }
      return [...merged].map(([next, prob]): Outcome => {
        const kind = cell(...coords[next]);
        const reward = kind === 'G' ? cfg.goalReward : kind === 'T' ? cfg.trapReward : cfg.stepReward;
        return { prob, next, reward, terminal: kind === 'G' || kind === 'T' };
      });
    }),
  );
  return { nStates: coords.length, nActions: GRID_ACTIONS.length, gamma: cfg.gamma, outcomes, coords };
}
