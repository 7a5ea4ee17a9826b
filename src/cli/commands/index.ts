/** Every CLI command, in the order `prunefi --help` lists them. */
import type { Command } from '../command.js';
import { campaignCommand } from './campaign.js';
import { evalCommand } from './evaluate.js';
import { faultsCommand } from './faults.js';
import { infoCommand } from './info.js';
import { injectCommand } from './inject.js';
import { methodsCommand } from './methods.js';
import { protectCommand } from './protect.js';
import { protectionsCommand } from './protections.js';
import { pruneCommand } from './prune.js';
import { quantizeCommand } from './quantize.js';
import { datasetsCommand, modelsCommand } from './registries.js';
import { reportCommand } from './report.js';
import { sensitivityCommand } from './sensitivity.js';
import { demoCommand, studyCommand } from './study.js';
import { trainCommand } from './train.js';
import { workerCommand } from './worker.js';

export const COMMANDS: readonly Command[] = [
  demoCommand,
  studyCommand,
  infoCommand,
  evalCommand,
  modelsCommand,
  datasetsCommand,
  trainCommand,
  pruneCommand,
  quantizeCommand,
  methodsCommand,
  sensitivityCommand,
  injectCommand,
  campaignCommand,
  workerCommand,
  faultsCommand,
  protectionsCommand,
  protectCommand,
  reportCommand,
];
