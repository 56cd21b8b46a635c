// Regenerates the scene-format table in README.md from src/scene/schema.ts
// (between the `scene-format` markers). Run after `npm run build`.
import { readFileSync, writeFileSync } from 'node:fs';
import { sceneFormatTable } from '../dist/scene/index.js';

const begin = '<!-- scene-format:begin -->';
const end = '<!-- scene-format:end -->';
const readme = readFileSync('README.md', 'utf8');
const table = sceneFormatTable(readFileSync('src/scene/schema.ts', 'utf8'));
const i = readme.indexOf(begin);
const j = readme.indexOf(end);
if (i < 0 || j < i) throw new Error('README.md: scene-format markers not found');
writeFileSync('README.md', `${readme.slice(0, i + begin.length)}\n${table}\n${readme.slice(j)}`);
