import { z } from 'zod';
import { SceneSchema, type SceneConfig, type SceneInput } from './schema.js';

/** A scene file or value that does not match the schema; the message names the file and field. */
export class SceneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SceneError';
  }
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length ? issue.path.join('.') : '(root)';
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.join(', ');
    return `${path === '(root)' ? '' : `${path}: `}unknown key${issue.keys.length > 1 ? 's' : ''} ${keys}`;
  }
  return `${path}: ${issue.message}`;
}

/** Validate a scene value; `source` names it in errors (a file path, or "scene"). */
export function parseScene(value: unknown, source = 'scene'): SceneConfig {
  const result = SceneSchema.safeParse(value);
  if (!result.success) {
    throw new SceneError(`${source}: ${result.error.issues.map(describeIssue).join('; ')}`);
  }
  return result.data;
}

/** The default scene (every field at its default). */
export function defaultScene(overrides: SceneInput = {}): SceneConfig {
  return parseScene(overrides);
}
