/** Scene files on disk (Node only). */
import { readFileSync } from 'node:fs';
import { parseScene, SceneError } from './load.js';
import type { SceneConfig } from './schema.js';

/** Read and validate a scene JSON file. */
export function loadScene(path: string): SceneConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SceneError(code === 'ENOENT' ? `scene file not found: ${path}` : `cannot read scene file ${path}: ${code ?? err}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SceneError(`${path}: malformed JSON (${(err as Error).message})`);
  }
  return parseScene(json, path);
}
