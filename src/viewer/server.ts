/**
 * The viewer's HTTP server: 127.0.0.1 only. It serves the built page, the
 * page's JSON (/api/), and the folders the user chose (/files/<kind>/...);
 * every other path is refused. A request path is decoded once and must stay
 * inside its folder: `..` segments (raw or percent-encoded), backslashes, NUL
 * bytes and empty segments (an absolute path after the prefix) get 403;
 * anything not found, and any prefix not served, 404. Symlinks that lead out
 * of a folder are refused too (the real path must stay inside).
 */
import { createReadStream, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';
import type { DatasetReader } from '../data/index.js';
import { gripperState } from '../env/index.js';
import type { DatasetEpisodeEntry, DatasetEpisodeFrames, ViewerConfig } from './protocol.js';

/** The address the viewer binds: loopback only, never another interface. */
export const VIEWER_HOST = '127.0.0.1';

/** A problem the user can fix (busy port); one line. */
export class ViewerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ViewerError';
  }
}

export type Resolved = { status: 200; file: string } | { status: 400 | 403 | 404; reason: string };

/**
 * The file under `root` that URL path `rest` (what follows the folder's prefix, still
 * percent-encoded) names, or why not. `rest` '' or '/' names `index` if given.
 */
export function resolveInside(root: string, rest: string, index?: string): Resolved {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    return { status: 400, reason: 'malformed percent-encoding' };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { status: 403, reason: 'NUL or backslash in path' };
  let relative = decoded.startsWith('/') ? decoded.slice(1) : decoded;
  if (relative === '' && index) relative = index;
  const segments = relative.split('/');
  if (segments.some((s) => s === '..' || s === '.')) return { status: 403, reason: 'path leaves the served folder' };
  if (segments.some((s) => s === '')) return { status: 403, reason: 'empty path segment (an absolute path?)' };
  let realRoot: string;
  let file: string;
  try {
    realRoot = realpathSync(root);
    file = realpathSync(join(realRoot, ...segments));
  } catch {
    return { status: 404, reason: 'not found' };
  }
  if (file !== realRoot && !file.startsWith(realRoot + sep)) return { status: 403, reason: 'path leaves the served folder' };
  if (!statSync(file).isFile()) return { status: 404, reason: 'not a file' };
  return { status: 200, file };
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.jsonl': 'application/x-ndjson',
  '.map': 'application/json',
  '.png': 'image/png',
};

export interface ViewerServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** The built page (index.html, app.js, style.css). */
  staticDir: string;
  config: ViewerConfig;
  /** Folders served under /files/<kind>/ (e.g. dataset, run, checkpoint). */
  folders: Record<string, string>;
  /** The dataset behind /api/dataset/. */
  dataset?: DatasetReader;
}

export interface ViewerServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function sendFile(res: ServerResponse, file: string): void {
  res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
  createReadStream(file).pipe(res);
}

async function datasetApi(reader: DatasetReader, rest: string): Promise<{ status: number; body: unknown }> {
  if (rest === 'episodes.json') {
    const entries: DatasetEpisodeEntry[] = reader.entries.map((e, index) => ({
      index,
      seed: e.seed,
      length: e.length,
      success: e.success,
      groundTruthSuccess: e.ground_truth_success,
      policy: e.policy,
      split: e.split,
      objectIds: e.object_ids,
    }));
    return { status: 200, body: entries };
  }
  const m = /^episodes\/(\d+)\.json$/.exec(rest);
  if (!m || Number(m[1]) >= reader.totalEpisodes) return { status: 404, body: { error: `no dataset resource ${rest}` } };
  const index = Number(m[1]);
  const episode = await reader.readEpisode(index);
  const frames: DatasetEpisodeFrames = {
    index,
    imageWidth: reader.spec.imageWidth,
    imageHeight: reader.spec.imageHeight,
    frames: episode.steps.map((s) => ({
      image: Buffer.from(s.observation.image).toString('base64'),
      state: Array.from(gripperState(s.observation, reader.spec.stateNames.length)),
      action: Array.from(s.action),
      reward: s.reward,
      done: s.done,
      success: s.success,
    })),
  };
  return { status: 200, body: frames };
}

async function handle(opts: ViewerServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed');
  const raw = req.url ?? '/';
  // The path as sent (no URL normalisation: `..` must be seen to be refused), query dropped.
  const path = raw.split('?')[0];
  if (!path.startsWith('/')) return send(res, 400, 'bad request path');
  if (path === '/api/config.json') return send(res, 200, JSON.stringify(opts.config), CONTENT_TYPES['.json']);
  if (path.startsWith('/api/dataset/')) {
    if (!opts.dataset) return send(res, 404, 'no dataset is being served (start with --dataset DIR)');
    const { status, body } = await datasetApi(opts.dataset, path.slice('/api/dataset/'.length));
    return send(res, status, JSON.stringify(body), CONTENT_TYPES['.json']);
  }
  let resolved: Resolved;
  const folder = /^\/files\/([a-z]+)(\/.*)?$/.exec(path);
  if (folder) {
    const root = opts.folders[folder[1]];
    if (root === undefined) return send(res, 404, `no ${folder[1]} folder is being served`);
    resolved = resolveInside(root, folder[2] ?? '');
  } else {
    resolved = resolveInside(opts.staticDir, path, 'index.html');
  }
  if (resolved.status !== 200) return send(res, resolved.status, `${resolved.status}: ${resolved.reason}`);
  sendFile(res, resolved.file);
}

/** Listen on 127.0.0.1:`port`; a busy port is a ViewerError naming it. */
export function startViewerServer(opts: ViewerServerOptions): Promise<ViewerServer> {
  const server: Server = createServer((req, res) => {
    handle(opts, req, res).catch((err: Error) => {
      if (!res.headersSent) send(res, 500, `500: ${err.message.split('\n')[0]}`);
      else res.destroy();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new ViewerError(`port ${opts.port} on ${VIEWER_HOST} is in use (pick another with --port, or --port 0 for a free one)`)
          : new ViewerError(`cannot listen on ${VIEWER_HOST}:${opts.port}: ${err.code ?? err.message}`),
      );
    });
    server.listen(opts.port, VIEWER_HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : opts.port;
      resolve({
        url: `http://${VIEWER_HOST}:${port}/`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
