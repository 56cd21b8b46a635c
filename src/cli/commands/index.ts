import type { Command } from 'commander';
import { registerBench } from './bench.js';
import { registerQuickstart } from './quickstart.js';
import { registerCollect } from './collect.js';
import { registerDataset } from './dataset.js';
import { registerRender } from './render.js';
import { registerRollout } from './rollout.js';
import { registerTrain } from './train.js';
import { registerEval } from './eval.js';
import { registerSelect } from './select.js';
import { registerView } from './view.js';
import { registerReport } from './report.js';

/** A command module adds its subcommand(s) to the program. */
export type RegisterCommand = (program: Command) => void;

/** Every command, in the order `pincer --help` lists them. */
export const commands: RegisterCommand[] = [
  registerQuickstart,
  registerRender, registerRollout, registerCollect, registerDataset, registerTrain, registerEval, registerSelect, registerReport, registerView, registerBench];
