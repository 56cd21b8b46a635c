/**
 * An X display for headless WebGL in Node. `gl` (ANGLE on Mesa) needs an X
 * server even though it never opens a window, so when `DISPLAY` is unset we
 * start our own `Xvfb :N` and stop it when the process ends.
 *
 * Node only: the browser has a real canvas and never imports this file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** First display number tried; low numbers are left to real X sessions. */
const FIRST_DISPLAY = 99;
/** Display numbers tried before giving up. */
const DISPLAY_ATTEMPTS = 200;
/** How long one Xvfb may take to accept connections, ms (2 busy cores: allow plenty). */
const START_TIMEOUT_MS = 20_000;
/** Delay before a client-less server is killed after this process exits, s. */
const KILL_DELAY_S = 2;

const INSTALL_HINT = 'Xvfb not found on PATH; rendering needs an X display: install it (Debian/Ubuntu: apt-get install xvfb) or set DISPLAY';

/** A display could not be provided; the message is one line and says what to do. */
export class DisplayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DisplayError';
  }
}

let pending: Promise<string> | null = null;

/**
 * Make sure `process.env.DISPLAY` names a usable X display and return it.
 * An existing `DISPLAY` is trusted as is. Otherwise an `Xvfb` is started on the
 * first free display number from :99 (several processes starting at once race
 * for numbers; the loser moves on to the next one) and stopped when this
 * process exits. Concurrent calls share one server.
 */
export function ensureDisplay(): Promise<string> {
  const current = process.env.DISPLAY;
  if (current) return Promise.resolve(current);
  pending ??= startXvfb().catch((err: unknown) => {
    pending = null;
    throw err;
  });
  return pending;
}

function findExecutable(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/** A display number looks taken if another server left its lock file or socket. */
function displayLooksTaken(n: number): boolean {
  return existsSync(`/tmp/.X${n}-lock`) || existsSync(`/tmp/.X11-unix/X${n}`);
}

async function startXvfb(): Promise<string> {
  const xvfb = findExecutable('Xvfb');
  if (!xvfb) throw new DisplayError(INSTALL_HINT);
  let lastError = 'no free display number';
  for (let n = FIRST_DISPLAY; n < FIRST_DISPLAY + DISPLAY_ATTEMPTS; n++) {
    if (displayLooksTaken(n)) continue;
    const outcome = await launch(xvfb, n);
    if (outcome.ok) {
      const display = `:${n}`;
      process.env.DISPLAY = display;
      stopOnExit(outcome.child);
      return display;
    }
    lastError = outcome.reason;
    // Lost a race for :n (or it was stale): try the next number.
  }
  throw new DisplayError(`could not start Xvfb: ${lastError}`);
}

type LaunchOutcome = { ok: true; child: ChildProcess } | { ok: false; reason: string };

/**
 * Start `Xvfb :n` and wait until it is ready. Xvfb writes the display number to
 * `-displayfd` only once it accepts connections, so no polling is needed; if
 * another server holds :n it exits at once and we report that.
 */
function launch(xvfb: string, n: number): Promise<LaunchOutcome> {
  return new Promise((resolve) => {
    // -nolisten tcp: only the local socket; a small screen is enough because gl renders off-screen.
    // -terminate: quit when the last client disconnects (see stopOnExit).
    // detached: Ctrl-C in a terminal must reach this process first, not kill the server under it.
    const args = [`:${n}`, '-screen', '0', '640x480x24', '-nolisten', 'tcp', '-terminate', '-displayfd', '3'];
    const child = spawn(xvfb, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], detached: true });
    let stderr = '';
    let settled = false;
    const finish = (outcome: LaunchOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!outcome.ok) child.kill('SIGKILL');
      child.stderr?.removeAllListeners('data');
      child.stdio[3]?.removeAllListeners('data');
      // Neither the server nor its pipes may keep the event loop alive.
      child.unref();
      (child.stderr as { unref?: () => void } | null)?.unref?.();
      (child.stdio[3] as { unref?: () => void } | null)?.unref?.();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: `Xvfb :${n} did not become ready in ${START_TIMEOUT_MS / 1000} s` }), START_TIMEOUT_MS);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdio[3]?.on('data', (chunk: Buffer) => {
      if (chunk.toString().trim().length > 0) finish({ ok: true, child });
    });
    child.on('error', (err) => finish({ ok: false, reason: err.message }));
    child.on('exit', (code, signal) => {
      const last = stderr.trim().split('\n').filter(Boolean).pop() ?? '';
      finish({ ok: false, reason: `Xvfb :${n} exited (${signal ?? `code ${code}`})${last ? `: ${last}` : ''}` });
    });
  });
}

/**
 * Stop the server on every way out of the process, without changing how the process exits.
 *
 * Killing Xvfb while this process still holds its X connection makes Xlib print
 * "XIO: fatal IO error" and exit(1) during teardown, so the server is started with
 * `-terminate` (it quits by itself once its last client, our gl context, disconnects:
 * on a normal exit, a signal or even SIGKILL). What is left is a server that never had
 * a client; for that, exit and signals schedule a kill a moment later, from a detached
 * shell, after this process is gone.
 */
function stopOnExit(child: ChildProcess): void {
  let scheduled = false;
  const stopSoon = (): void => {
    if (scheduled || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    scheduled = true;
    spawn('/bin/sh', ['-c', `sleep ${KILL_DELAY_S}; kill -TERM "$0" 2>/dev/null`, String(child.pid)], {
      detached: true,
      stdio: 'ignore',
    }).unref();
  };
  process.once('exit', stopSoon);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      // Someone else handles the signal (a collector whose parent decides when it stops): the process goes on, and so must its server.
      if (process.listenerCount(signal) > 1) return;
      stopSoon();
      process.removeListener(signal, onSignal);
      // Our listener replaced Node's default action (exit); restore it.
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
