import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { scanCommand } from './scan.js';
import { versionCommand } from './version.js';

/** Every CLI command, one file each. Add a command here; there is no registration by import side effects. */
export const COMMANDS: ReadonlyArray<(ctx: CliContext) => Command> = [scanCommand, versionCommand];
