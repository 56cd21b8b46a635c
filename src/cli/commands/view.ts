/**
 * `pincer view`: the browser viewer. Starts the 127.0.0.1 server for the built
 * page (see src/viewer), prints its URL and serves until interrupted.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { DatasetError, DatasetReader } from '../../data/index.js';
import { LIBRARY_SPLITS } from '../../objects/index.js';
import { POLICY_NAMES } from '../../policies/index.js';
import { PAGE_BUILD, startViewerServer, ViewerError, type ViewerConfig, type ViewerServer } from '../../viewer/index.js';
import { PincerError, UsageError } from '../errors.js';
import { parseNonNegativeInt } from '../io.js';
import { resolveScene } from '../scene-env.js';

const SCENES_DIR = fileURLToPath(new URL('../../../scenes/', import.meta.url));
const DEFAULT_PORT = 8390;
/** The tfjs wasm backend's .wasm files, for the page's fallback when WebGL is missing. */
const TFJS_WASM_DIR = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));

export interface ViewOptions {
  policy?: string;
  dataset?: string;
  scene?: string;
  port: number;
  open: boolean;
  /** The built page; tests point it at their own build. */
  staticDir?: string;
}

/** The scenes the page can pick: the chosen one (default scenes/bin.json) first, then the package's other scenes/*.json; each validated. */
function sceneChoices(scenePath: string | undefined): ViewerConfig['scenes'] {
  const first = scenePath ?? join(SCENES_DIR, 'bin.json');
  const others = existsSync(SCENES_DIR) ? readdirSync(SCENES_DIR).filter((f) => f.endsWith('.json')).sort().map((f) => join(SCENES_DIR, f)) : [];
  const paths = [first, ...others.filter((p) => resolve(p) !== resolve(first))].filter((p) => p === scenePath || existsSync(p));
  const scenes = paths.map((path) => {
    resolveScene(path); // a bad or missing --scene is a usage error before the server starts
    return { name: basename(path), value: JSON.parse(readFileSync(path, 'utf8')) as unknown };
  });
  return scenes.length > 0 ? scenes : [{ name: '(defaults)', value: {} }];
}

/** Start the viewer's server for `opts` (everything checked before it listens). */
export async function startView(opts: ViewOptions): Promise<ViewerServer> {
  const staticDir = opts.staticDir ?? PAGE_BUILD;
  if (!existsSync(join(staticDir, 'index.html')) || !existsSync(join(staticDir, 'app.js'))) {
    throw new PincerError(`the viewer page is not built (no ${join(staticDir, 'app.js')}); run \`npm run build\``);
  }
  const folders: Record<string, string> = { tfjs: TFJS_WASM_DIR };
  let checkpoint: ViewerConfig['checkpoint'] = null;
  if (opts.policy !== undefined && !(POLICY_NAMES as readonly string[]).includes(opts.policy)) {
    if (!existsSync(opts.policy)) throw new UsageError(`--policy ${opts.policy}: not a built-in policy (${POLICY_NAMES.join('|')}) and no such run or checkpoint folder`);
    // Loaded on use: qtopt brings tfjs, which starting the CLI should not load.
    const { CheckpointError, MODEL_FILE, resolveCheckpoint, RunError } = await import('../../qtopt/node.js');
    let resolved;
    try {
      resolved = resolveCheckpoint(opts.policy);
    } catch (err) {
      if (err instanceof CheckpointError || err instanceof RunError) throw new UsageError(`--policy ${opts.policy}: ${err.message}`);
      throw err;
    }
    // The page decodes the checkpoint itself (a corrupt one is an error on the page); here only its presence is checked.
    if (!existsSync(join(resolved.checkpoint, MODEL_FILE))) throw new UsageError(`--policy ${opts.policy}: ${resolved.checkpoint} has no ${MODEL_FILE}`);
    folders.checkpoint = resolved.checkpoint;
    checkpoint = { name: basename(resolve(resolved.checkpoint)), url: 'files/checkpoint/', runConfig: resolved.run ? resolved.run.readConfig() : null };
  }
  let dataset: DatasetReader | undefined;
  let datasetInfo: ViewerConfig['dataset'] = null;
  if (opts.dataset !== undefined) {
    if (!existsSync(opts.dataset)) throw new UsageError(`--dataset ${opts.dataset}: directory not found`);
    try {
      dataset = DatasetReader.open(opts.dataset);
    } catch (err) {
      if (err instanceof DatasetError) throw new UsageError(`--dataset ${opts.dataset}: ${err.message}`);
      throw err;
    }
    folders.dataset = opts.dataset;
    datasetInfo = { name: basename(resolve(opts.dataset)), episodes: dataset.totalEpisodes, imageWidth: dataset.spec.imageWidth, imageHeight: dataset.spec.imageHeight };
  }
  const builtIn = (POLICY_NAMES as readonly string[]).includes(opts.policy ?? '') ? [opts.policy!, ...POLICY_NAMES.filter((p) => p !== opts.policy)] : [...POLICY_NAMES];
  const policies = checkpoint ? ['checkpoint', ...builtIn] : builtIn;
  const config: ViewerConfig = { scenes: sceneChoices(opts.scene), splits: [...LIBRARY_SPLITS], policies, checkpoint, dataset: datasetInfo };
  try {
    return await startViewerServer({ port: opts.port, staticDir, config, folders, dataset });
  } catch (err) {
    if (err instanceof ViewerError) throw new UsageError(err.message);
    throw err;
  }
}

function parsePort(value: string): number {
  const port = parseNonNegativeInt('--port')(value);
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got '${value}'`);
  return port;
}

/** Open `url` in the desktop's browser when there is a desktop; silently nothing otherwise. */
function openBrowser(url: string): void {
  if (!process.env.DISPLAY || process.platform !== 'linux') return;
  const child = spawn('xdg-open', [url], { stdio: 'ignore', detached: true });
  child.on('error', () => {});
  child.unref();
}

export function registerView(program: Command): void {
  program
    .command('view')
    .description('browser viewer on 127.0.0.1: the live scene in 3D beside the robot camera, policies stepping in the page, dataset replay')
    .option('--policy <name|dir>', `policy the page starts with: ${POLICY_NAMES.join('|')}, a checkpoint folder, or a run folder (its best checkpoint, else its newest)`)
    .option('--dataset <dir>', 'a LeRobot dataset to replay in the page')
    .option('--scene <file>', 'scene JSON file (default: scenes/bin.json); the page also offers the other scenes/*.json')
    .option('--port <p>', 'port on 127.0.0.1 (0: any free port)', parsePort, DEFAULT_PORT)
    .option('--no-open', 'do not open a browser, only print the URL')
    .addHelpText(
      'after',
      `
Examples:
  pincer view                                   # then open the printed URL
  pincer view --dataset data/scripted-1k --no-open
  pincer view --scene scenes/bin-easy.json --policy random --port 9000
  pincer view --policy runs/easy --scene scenes/bin-easy.json     # the run's best checkpoint, live with CEM arrows and a heat map
  pincer view --policy runs/easy --no-open      # open the URL with ?backend=wasm to run the checkpoint on tfjs's wasm backend (default: WebGL, else wasm)`,
    )
    .action(async (opts: ViewOptions) => {
      const server = await startView(opts);
      process.stdout.write(`pincer view: ${server.url}\n`);
      if (opts.open) openBrowser(server.url);
      await new Promise<void>((done) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          server.close().then(done);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
