/**
 * Building the viewer page: esbuild bundles src/viewer/page/main.ts for the
 * browser and copies the page's HTML and CSS beside it. `platform: 'browser'`
 * is the guard that keeps Node out of the page: a Node built-in (node:fs, a
 * native addon's loader) anywhere in the import graph fails the build with
 * the module that imported it.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The page's sources (this folder's `page/`, in src/ or beside the compiled dist/). */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const PAGE_SOURCE = join(PACKAGE_ROOT, 'src/viewer/page');
/** Where `npm run build` puts the built page, and where `pincer view` serves it from. */
export const PAGE_BUILD = join(PACKAGE_ROOT, 'dist/viewer/static');
/** The page's static files besides the bundle. */
const PAGE_ASSETS = ['index.html', 'style.css'];

/** The page could not be bundled (e.g. a Node built-in reached the browser bundle). */
export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleError';
  }
}

export interface BundleResult {
  outdir: string;
  /** Bundle size, bytes. */
  bytes: number;
  /** Source files in the bundle, relative to the package root. */
  inputs: string[];
}

/**
 * Bundle `entry` (default: the page) for the browser into `outdir`/app.js and copy the
 * page assets there. Throws BundleError listing each unresolvable import, Node built-ins first.
 */
export async function bundlePage(outdir = PAGE_BUILD, entry = join(PAGE_SOURCE, 'main.ts')): Promise<BundleResult> {
  // esbuild is a build tool: loaded here so that `pincer view` on a built package does not need it.
  const esbuild = await import('esbuild');
  mkdirSync(outdir, { recursive: true });
  let result;
  try {
    result = await esbuild.build({
      entryPoints: [entry],
      outfile: join(outdir, 'app.js'),
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      minify: true,
      sourcemap: true,
      metafile: true,
      logLevel: 'silent',
    });
  } catch (err) {
    const errors = (err as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors ?? [];
    if (errors.length === 0) throw err;
    const lines = errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text));
    throw new BundleError(`browser bundle of ${relative(PACKAGE_ROOT, entry)} failed: ${lines.join('; ')}`);
  }
  for (const asset of PAGE_ASSETS) copyFileSync(join(PAGE_SOURCE, asset), join(outdir, asset));
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined);
  return { outdir, bytes: output?.bytes ?? 0, inputs: Object.keys(result.metafile.inputs) };
}
