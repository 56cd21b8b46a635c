/** The tiny scene and agent config the training tests share: 200 gradient steps in a few seconds. */

/** 16×16 images, 2 objects, episodes of at most 3 steps. */
export const TINY_SCENE = { camera: { width: 16, height: 16 }, objects: { count: 2 }, episode: { maxSteps: 3 } };

/** One 4-filter conv, 8-unit head, CEM 16/4/2; online only from scratch, 4 gradient steps per env step, collecting inline. */
export const TINY = {
  network: { convs: [{ filters: 4, kernelSize: 3, stride: 4 }], actionUnits: 8, headUnits: 8 },
  cem: { samples: 16, elites: 4, iterations: 2 },
  replay: { capacity: 4000, batchSize: 8 },
  train: {
    bootstrapScriptedEpisodes: 0,
    bootstrapRandomEpisodes: 0,
    offlineSteps: 0,
    onlineSteps: 200,
    learningStarts: 16,
    trainFrequency: 1,
    gradientSteps: 4,
    weightSyncPeriod: 10,
    evalPeriod: 100,
    evalEpisodes: 2,
    checkpointPeriod: 50,
    keepCheckpoints: 2,
    collectors: 0,
  },
};

/** What noiseEpisodes adds to: a ReplayBuffer (src/rl) from either src or dist. */
interface Adds {
  add(obs: { image: Uint8Array; vector: number[] }, action: Float32Array, reward: number, terminated: boolean, truncated: boolean, next?: { image: Uint8Array; vector: number[] }): void;
}

/**
 * `episodes` episodes of `steps` steps of noise frames (side × side RGB) and gripper states into `replay`;
 * the last step of each ends it and pays 1 with probability 0.4.
 */
export function addNoiseEpisodes(replay: Adds, rng: { int(lo: number, hi: number): number; range(lo: number, hi: number): number; bernoulli(p: number): boolean }, side: number, episodes: number, steps: number): void {
  const frame = () => Uint8Array.from({ length: side * side * 3 }, () => rng.int(0, 255));
  const vector = () => [rng.range(0, 0.08), rng.bernoulli(0.5) ? 1 : 0, rng.range(0.02, 0.3)];
  const action = () => Float32Array.from({ length: 6 }, () => rng.range(-1, 1));
  for (let e = 0; e < episodes; e++) {
    for (let t = 0; t < steps - 1; t++) replay.add({ image: frame(), vector: vector() }, action(), 0, false, false);
    replay.add({ image: frame(), vector: vector() }, action(), rng.bernoulli(0.4) ? 1 : 0, true, false, { image: frame(), vector: vector() });
  }
}
