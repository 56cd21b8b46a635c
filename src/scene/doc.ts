/**
 * The scene-format reference in the README is generated from schema.ts, so the
 * documented defaults cannot drift from the real ones: the doc comment of each
 * field, its constraint chain, and its resolved default.
 */
import { defaultScene } from './load.js';

export interface SceneFieldDoc {
  /** Dotted path, e.g. `gripper.maxAperture`. */
  path: string;
  /** The zod constraint chain, e.g. `number().min(0.05).max(0.3)`. */
  constraint: string;
  default: unknown;
  doc: string;
}

const SECTION_RE = /export const (\w+)Schema = z\.strictObject\(\{([\s\S]*?)\n\}\);/g;
const FIELD_RE = /\/\*\*\s*([\s\S]*?)\s*\*\/\s*\n\s*(\w+):\s*(.*?)\.default\(/g;

/** Fields of every section of the scene schema, in file order, from the schema's source text. */
export function sceneFieldDocs(schemaSource: string): SceneFieldDoc[] {
  const defaults = defaultScene() as unknown as Record<string, Record<string, unknown>>;
  const sectionKeys = new Map<string, string>();
  for (const m of schemaSource.matchAll(/^\s+(\w+): (\w+)Schema\.default/gm)) sectionKeys.set(m[2], m[1]);
  const docs: SceneFieldDoc[] = [];
  for (const section of schemaSource.matchAll(SECTION_RE)) {
    const key = sectionKeys.get(section[1]);
    if (!key) continue;
    for (const f of section[2].matchAll(FIELD_RE)) {
      docs.push({
        path: `${key}.${f[2]}`,
        constraint: f[3].replace(/^z\./, '').replace(/^unit$/, 'number().min(0).max(1)').replace(/^vec3$/, '[number, number, number]'),
        default: defaults[key][f[2]],
        doc: f[1].replace(/\s*\n\s*\*\s*/g, ' '),
      });
    }
  }
  return docs;
}

function formatDefault(value: unknown): string {
  if (typeof value === 'number' && !Number.isInteger(value)) return String(Number(value.toPrecision(6)));
  return JSON.stringify(value);
}

/** The markdown table for the README. */
export function sceneFormatTable(schemaSource: string): string {
  const rows = sceneFieldDocs(schemaSource).map(
    (f) => `| \`${f.path}\` | ${formatDefault(f.default)} | \`${f.constraint}\` | ${f.doc.replace(/\|/g, '\\|')} |`,
  );
  return ['| field | default | type and range | meaning |', '|---|---|---|---|', ...rows].join('\n');
}
