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
