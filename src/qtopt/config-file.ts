/**
 * A QtOptConfig JSON file as `pincer train --config` and `pincer bench qtopt --config` read it.
 *
 * `"extends": "OTHER.json"` (a path relative to the file) starts from another file: this file's
 * keys are laid over it, objects merged key by key, anything else (numbers, strings, arrays,
 * null) replaced. So a variant of a recipe states only what differs, e.g. the fine-tuning
 * config of the shipped policy over the lookup network's. A chain of extends is followed; a
 * file that extends itself, directly or not, is refused.
 *
 * Node only (reads files).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../rl/index.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `over` laid over `base`: objects merged key by key, anything else replaced. */
export function layConfig(base: Json, over: Json): Json {
  if (!isObject(base) || !isObject(over)) return over;
  const out: Record<string, Json> = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = key in base ? layConfig(base[key]!, value) : value;
  return out;
}

/**
 * The file's JSON with every `extends` laid under it, `extends` itself removed. Throws
 * ConfigError, one line naming the file, for a missing or malformed file, an `extends` that
 * is not a string, and a cycle.
 */
export function readConfigFile(path: string, seen: readonly string[] = []): unknown {
  const at = resolve(path);
  if (seen.includes(at)) throw new ConfigError(`${path}: extends itself (${[...seen, at].join(' → ')})`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  let json: Json;
  try {
    json = JSON.parse(text) as Json;
  } catch (err) {
    throw new ConfigError(`${path}: malformed JSON (${(err as Error).message})`);
  }
  if (!isObject(json) || !('extends' in json)) return json;
  const { extends: parent, ...own } = json;
  if (typeof parent !== 'string') throw new ConfigError(`${path}: extends must be a file name (a string), got ${JSON.stringify(parent)}`);
  const base = readConfigFile(resolve(dirname(path), parent), [...seen, at]) as Json;
  return layConfig(base, own);
}
