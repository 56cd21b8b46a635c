#!/usr/bin/env node
// Entry point: runs the compiled CLI from dist/ (built by `npm run build`, which setup does for you).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/index.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('pincer: not built yet; run `npm run setup` (or `npm run build`) first\n');
  process.exit(1);
}
const { main } = await import(entry.href);
const code = await main(process.argv.slice(2));
process.exit(code);
