/** What the viewer's server sends the page (JSON under /api/). Types only, shared by both sides. */

/** GET /api/config.json */
export interface ViewerConfig {
  /** Scene files the page can pick, the one given with --scene (or scenes/bin.json) first; `value` is the file's JSON. */
  scenes: { name: string; value: unknown }[];
  /** Object splits the picker offers. */
  splits: string[];
  /** Policies the page can run. */
  policies: string[];
  /** The checkpoint given with --policy RUN|CHECKPOINT: its files under `url`, and its run's config.json if it belongs to a run. */
  checkpoint: { name: string; url: string; runConfig: unknown } | null;
  /** The dataset given with --dataset, if any. */
  dataset: { name: string; episodes: number; imageWidth: number; imageHeight: number } | null;
}

/** GET /api/dataset/episodes.json: one entry per episode. */
export interface DatasetEpisodeEntry {
  index: number;
  seed: number;
  length: number;
  success: boolean;
  groundTruthSuccess: boolean;
  policy: string;
  split: string;
  objectIds: string[];
}

/** GET /api/dataset/episodes/N.json */
export interface DatasetEpisodeFrames {
  index: number;
  imageWidth: number;
  imageHeight: number;
  frames: {
    /** RGB H×W×3, top row first, base64. */
    image: string;
    /** observation.state as the dataset stores it: [aperture m, closed 0/1, height m], then x m, y m, yaw rad if it records them. */
    state: number[];
    action: number[];
    reward: number;
    done: boolean;
    success: boolean;
  }[];
}
