/** Every CLI command, in the order `prunefi --help` lists them. */
import type { Command } from '../command.js';
import { methodsCommand } from './methods.js';
import { pruneCommand } from './prune.js';
import { sensitivityCommand } from './sensitivity.js';

export const COMMANDS: readonly Command[] = [pruneCommand, methodsCommand, sensitivityCommand];
