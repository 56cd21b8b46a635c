/** Synthetic EpisodeRecords for the dataset tests: seeded images and actions, env-shaped. */
import { ACTION_DIM, type EpisodeRecord, type StepRecord } from '../src/env/types.js';
import { Rng } from '../src/random/index.js';

/** An episode of `steps` frames whose images are smooth seeded gradients plus noise (compressible, like renders). */
export function synthEpisode(seed: number, steps = 5, width = 16, height = 12): EpisodeRecord {
  const rng = new Rng(seed);
  const success = rng.bernoulli(0.5);
  const out: StepRecord[] = [];
  for (let t = 0; t < steps; t++) {
    const image = new Uint8Array(width * height * 3);
    const base = rng.int(0, 200);
    for (let i = 0; i < image.length; i++) image[i] = (base + (i % 37) + rng.int(0, 20)) & 255;
    const action = new Float32Array(ACTION_DIM);
    for (let d = 0; d < ACTION_DIM; d++) action[d] = rng.range(-1, 1);
    const last = t === steps - 1;
    out.push({
      observation: { image, imageWidth: width, imageHeight: height, aperture: rng.range(0, 0.14), closed: rng.bernoulli(0.3), height: rng.range(0, 0.3), x: rng.range(-0.2, 0.2), y: rng.range(-0.2, 0.2), yaw: rng.range(-Math.PI, Math.PI) },
      action,
      reward: last ? (success ? 1 : 0) : -0.05,
      done: last,
      success: last && success,
    });
  }
  return { seed, split: 'train', objectIds: [`proc-${seed % 900}`, 'proc-0001'], steps: out, success, groundTruthSuccess: success, policy: 'synth' };
}
