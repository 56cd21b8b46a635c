/**
 * pincer's command line. Each command lives in `commands/<name>.ts` and
 * registers itself on the program; this file owns argv, exit codes and the
 * one-line error contract (no stack traces for user mistakes).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { PincerError } from './errors.js';
import { commands } from './commands/index.js';

const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * The library errors a command may let through, sorted into those that describe
 * the user's input (a file, a flag, a config value: exit 2) and those about the
 * machine or a failed run (exit 1); both are shown as one line. Loaded only when
 * an error happens, so that starting the CLI does not load tfjs, three or Rapier.
 */
async function libraryErrorClasses() {
  const [data, objects, render, rl, scene, tf] = await Promise.all([
    import('../data/index.js'),
    import('../objects/index.js'),
    import('../render/node.js'),
    import('../rl/node.js'),
    import('../scene/index.js'),
    import('../tf/node.js'),
  ]);
  return {
    /** Errors that say themselves (`usage`) whether the request (exit 2) or the machine or data (exit 1) is at fault. */
    selfSorted: [data.DatasetError, tf.BackendError],
    usage: [scene.SceneError, objects.ObjectImportError, objects.SplitError, data.PolicySpecError, rl.ConfigError, rl.ReplayFileError],
    runtime: [render.DisplayError, objects.HullError],
  };
}

/** Commander's own errors (unknown command or option, missing value) in pincer's one-line form. */
function oneLineError(str: string, write: (s: string) => void): void {
  write(`pincer: ${str.split('\n')[0].replace(/^error: /, '')}\n`);
}

export function buildProgram(): Command {
  const program = new Command('pincer')
    .description('QT-Opt-style vision-based grasping: simulate, collect, train and evaluate grasp policies')
    .version(PACKAGE_VERSION)
    .exitOverride()
    .configureOutput({ outputError: oneLineError })
    .addHelpText(
      'after',
      `
Examples:
  pincer quickstart                                   # a small end-to-end run
  pincer render --seed 7 --size 256 --out bin.png     # look at the scene
  pincer rollout --policy scripted --split test --episodes 100 --json
  pincer collect --policy scripted+eps:0.2 --episodes 1000 --out data/grasps --workers 2
  pincer bench env --json

Run 'pincer <command> --help' for a command's flags and examples.`,
    );
  for (const register of commands) register(program);
  // Subcommands inherit exit override and one-line errors.
  for (const sub of program.commands) {
    sub.exitOverride().configureOutput({ outputError: oneLineError });
    for (const subsub of sub.commands) {
      subsub.exitOverride().configureOutput({ outputError: oneLineError });
    }
  }
  return program;
}

/** Run the CLI; returns the process exit code instead of exiting, so tests can call it. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    return reportError(err);
  }
}

export async function reportError(err: unknown): Promise<number> {
  if (err instanceof CommanderError) {
    // Commander already printed its one-line message (or the help text).
    if (err.exitCode === 0) return 0;
    return 2;
  }
  if (err instanceof PincerError) {
    process.stderr.write(`pincer: ${err.message}\n`);
    return err.exitCode;
  }
  const known = await libraryErrorClasses();
  const selfSorted = known.selfSorted.some((cls) => err instanceof cls);
  const usage = selfSorted ? (err as { usage: boolean }).usage : known.usage.some((cls) => err instanceof cls);
  if (usage || selfSorted || known.runtime.some((cls) => err instanceof cls)) {
    process.stderr.write(`pincer: ${(err as Error).message.split('\n')[0]}\n`);
    return usage ? 2 : 1;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`pincer: internal error: ${message}\n`);
  if (process.env.PINCER_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  return 1;
}
