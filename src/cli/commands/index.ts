import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { admissionCommand } from './admission.js';
import { auditCommand } from './audit.js';
import { checkCommand } from './check.js';
import { cleanCommand } from './clean.js';
import { convertCommand } from './convert.js';
import { dbCommand } from './db.js';
import { fixCommand } from './fix.js';
import { imageCommand } from './image.js';
import { lifecycleCommand } from './lifecycle.js';
import { nodeCommand } from './node.js';
import { sbomCommand } from './sbom.js';
import { scanCommand } from './scan.js';
import { serveCommand } from './serve.js';
import { versionCommand } from './version.js';

/** Every CLI command, one file each. Add a command here; there is no registration by import side effects. */
export const COMMANDS: ReadonlyArray<(ctx: CliContext) => Command> = [scanCommand, checkCommand, fixCommand, dbCommand, lifecycleCommand, sbomCommand, imageCommand, nodeCommand, cleanCommand, serveCommand, admissionCommand, auditCommand, convertCommand, versionCommand];
