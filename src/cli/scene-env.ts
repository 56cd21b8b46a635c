/**
 * What every episode-running command does first: resolve `--scene` and build
 * the env for `--split` or `--objects`, turning a bad scene file or objects
 * directory into a one-line usage error.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createEnvFor, type GraspEnv } from '../env/node.js';
import { LIBRARY_SPLITS, ObjectImportError, type LibrarySplit } from '../objects/index.js';
import { defaultScene, loadScene, SceneError, type SceneConfig } from '../scene/node.js';
import { UsageError } from './errors.js';
import { parseChoice } from './io.js';

/** scenes/bin.json of the package, used when --scene is not given. */
const DEFAULT_SCENE = fileURLToPath(new URL('../../scenes/bin.json', import.meta.url));

/** The scene at `path`, else scenes/bin.json, else the schema defaults; scene errors become usage errors. */
export function resolveScene(path: string | undefined): { scene: SceneConfig; source: string } {
  try {
    if (path !== undefined) return { scene: loadScene(path), source: path };
    if (existsSync(DEFAULT_SCENE)) return { scene: loadScene(DEFAULT_SCENE), source: 'scenes/bin.json' };
    return { scene: defaultScene(), source: '(defaults)' };
  } catch (err) {
    if (err instanceof SceneError) throw new UsageError(err.message);
    throw err;
  }
}

/** `--split <split>`: a side of the library's split. */
export const SPLIT_FLAG = ['--split <split>', `object split: ${LIBRARY_SPLITS.join('|')}`, parseChoice('--split', LIBRARY_SPLITS)] as const;

/** A GraspEnv on a library split (optionally one family of it), or on the objects of `objectsDir` (split "external"). */
export async function envForSplit(scene: SceneConfig, split: LibrarySplit, objectsDir: string | undefined, family?: string): Promise<GraspEnv> {
  try {
    return await createEnvFor(scene, objectsDir === undefined ? { split, family } : { objectsDir });
  } catch (err) {
    if (err instanceof ObjectImportError) throw new UsageError(`--objects ${objectsDir}: ${err.message.split('\n')[0]}`);
    throw err;
  }
}
