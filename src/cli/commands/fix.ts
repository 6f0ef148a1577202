/**
 * `runwarden fix`: scan (the same sources and flags as `scan`), then for each workload container with fixable
 * vulnerabilities, an end of life or an outdated image, the smallest image change that fixes it, checked by
 * scanning the new image (src/remediation). Printed as a table, JSON or a kubectl script; `--apply` patches
 * the live cluster, each workload with a JSON Patch that first tests the image it replaces.
 */
import { Command, Option } from 'commander';
import type { Settings } from '../../config/schema.js';
import { AppError, UsageError, errorMessage } from '../../core/errors.js';
import { SEVERITIES, type Severity } from '../../core/severity.js';
import { LIFECYCLE_RULES } from '../../lifecycle/index.js';
import { CandidateScanner, planRemediation, type RemediationPlan } from '../../remediation/index.js';
import { PLAN_FORMATS, renderPlanJson, renderPlanScript, renderPlanTable } from '../../remediation/render.js';
import { manifestEdits, renderManifestDiff } from '../../remediation/manifests.js';
import { readManifests } from '../../manifests/index.js';
import { scan } from '../../scan/index.js';
import { CONTRIBUTORS } from '../../scan/images/registry.js';
import { VULNERABILITY_RULE } from '../../vulndb/match/index.js';
import type { CliContext } from '../context.js';
import { emitReport, wantsColor } from '../output.js';
import { policySettings } from './check.js';
import { addImageAccessOptions } from './image.js';
import { createSource } from './scan.js';
import { addLifecycleOptions, addRunningImageOptions, lifecycleSetup, parseSeverityThreshold, resolveScanSettings, runningImagesSetup, unknownValue, type LifecycleFlags, type RunningImagesFlags, type ScanSourceFlags } from './scan-setup.js';
import { splitList } from '../../config/load.js';

interface FixFlags extends ScanSourceFlags, RunningImagesFlags, LifecycleFlags {
  format?: string;
  output?: string;
  severity?: string;
  allowMajor?: boolean;
  maxCandidates?: string;
  apply?: boolean;
  serverDryRun?: boolean;
  manifests?: string[];
  color?: boolean;
  now?: string;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), ...splitList(value)];

/** What `fix` scans for unless --rules says otherwise: vulnerabilities and the images' lifecycle, no policy checks. */
export const FIX_RULES: readonly string[] = [VULNERABILITY_RULE, ...LIFECYCLE_RULES];

export function fixCommand(ctx: CliContext): Command {
  const command = new Command('fix')
    .description('Find the smallest image change (a fixed tag or digest) that fixes each vulnerable, end-of-life or outdated workload, checked by scanning the new image; print it as patches or apply them')
    .option('--demo', 'the bundled demo cluster snapshot')
    .option('--snapshot <path>', 'a directory or file of "kubectl get … -o json|yaml" output')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, in-cluster, ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: the current context)')
    .option('--in-cluster', 'use the pod service account (when running inside the cluster)')
    .option('-n, --namespace <names>', 'only these namespaces (repeat or comma-separate); default: all', collect)
    .option('-f, --format <format>', `output: ${PLAN_FORMATS.join(', ')} (kubectl: a shell script of kubectl patch commands; diff: a unified diff of --manifests) (default: table)`)
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('--severity <level>', `fix vulnerabilities at or above: ${SEVERITIES.filter((s) => s !== 'unknown').join(', ')} (default: high)`)
    .option('--allow-major', 'also try the newest major tag (default: patch and minor tags, the next supported cycle)')
    .option('--max-candidates <n>', 'candidate images tried per container (default: 3)')
    .option('--manifests <path>', 'manifest files or folders the workloads are deployed from (GitOps): change the image values there too; -f diff prints the patch (repeatable)', (v: string, p: string[] | undefined) => [...(p ?? []), v])
    .option('--apply', 'patch the workloads in the live cluster (needs patch permission on them)')
    .option('--server-dry-run', 'with --apply: the API server checks each patch and changes nothing');
  addLifecycleOptions(command);
  addImageAccessOptions(command, 'the node agent: read images from this node');
  return addRunningImageOptions(command, 'match the running and candidate images against this vulnerability database (default: $RUNWARDEN_DB or ~/.local/share/runwarden/runwarden.db)')
    .option('--config <file>', 'settings file (YAML/JSON); flags and RUNWARDEN_* variables override it')
    .option('--no-color', 'plain output even on a terminal')
    .addOption(new Option('--now <iso-time>', 'evaluate as of this time (reproducible output)').hideHelp())
    .action(async (flags: FixFlags) => {
      await runFix(flags, ctx);
    });
}

function parseFlags(flags: FixFlags): { severity: Severity; maxCandidates: number; format: (typeof PLAN_FORMATS)[number]; now: Date | undefined } {
  const severity = parseSeverityThreshold('--severity', flags.severity ?? 'high');
  const maxCandidates = flags.maxCandidates === undefined ? 3 : Number(flags.maxCandidates);
  if (!Number.isInteger(maxCandidates) || maxCandidates < 1 || maxCandidates > 20) throw new UsageError(`Invalid --max-candidates "${flags.maxCandidates ?? ''}": expected a whole number from 1 to 20, e.g. 3.`);
  const format = flags.format ?? 'table';
  if (!(PLAN_FORMATS as readonly string[]).includes(format)) throw unknownValue('--format', format, PLAN_FORMATS);
  if (flags.lifecycle === false) throw new UsageError('--no-lifecycle turns off what fix finds newer builds and tags with (digest drift, newer tags, the next supported cycle): drop it.');
  if (format === 'diff' && flags.manifests === undefined) throw new UsageError('-f diff is a patch of the manifests: add --manifests DIR (the files the workloads are deployed from), or use -f kubectl for the live objects.');
  if (flags.manifests?.includes('-') === true) throw new UsageError('--manifests reads files to change them: give files or folders, not "-" (stdin).');
  if (flags.serverDryRun === true && flags.apply !== true) throw new UsageError('--server-dry-run checks the patches of --apply: add --apply (nothing is changed with --server-dry-run).');
  let now: Date | undefined;
  if (flags.now !== undefined) {
    now = new Date(flags.now);
    if (Number.isNaN(now.getTime())) throw new UsageError(`Invalid --now "${flags.now}": expected an ISO 8601 time, e.g. "2026-01-31T12:00:00Z".`);
  }
  return { severity, maxCandidates, format: format as (typeof PLAN_FORMATS)[number], now };
}

async function runFix(flags: FixFlags, ctx: CliContext): Promise<void> {
  const parsed = parseFlags(flags);
  const settings: Settings = await resolveScanSettings(flags, ctx, (layer) => {
    if (flags.color === false) layer.color = 'never';
  });
  if (flags.apply === true && (settings.demo || settings.snapshot !== undefined)) {
    throw new UsageError(`--apply patches the live cluster; ${settings.demo ? '--demo' : '--snapshot'} reads files. Print the patches with --format kubectl instead, or drop ${settings.demo ? '--demo' : '--snapshot'}.`);
  }
  const progress = ctx.stderr.isTTY === true;
  const onProgress = progress ? (message: string): void => void ctx.stderr.write(`\r\x1b[2K${message}`) : undefined;
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new AppError('interrupted', 'Interrupted'));
  process.once('SIGINT', onSignal);
  const closers: Array<() => void> = [];
  try {
    // read before the scan: a path that does not exist is the user's to fix first
    const manifests = flags.manifests === undefined ? undefined : await readManifests(flags.manifests, { signal: controller.signal, flag: '--manifests' });
    const images = await runningImagesSetup(settings, flags, ctx);
    closers.push(...images.close);
    const lifecycle = await lifecycleSetup(flags, images);
    const { inventory, report } = await scan({
      images: images.settings,
      lifecycle,
      source: await createSource(settings, ctx),
      namespaces: settings.namespaces,
      sandboxImages: settings.sandboxImages,
      rules: settings.rules ?? [...FIX_RULES],
      policy: policySettings(settings),
      exceptions: settings.exceptions,
      now: parsed.now,
      signal: controller.signal,
      onProgress,
    });
    const scanner =
      images.settings === undefined
        ? undefined
        : new CandidateScanner({ probe: lifecycle?.probe, locators: images.settings.locators ?? [], db: images.settings.db, cache: images.settings.cache, contributors: CONTRIBUTORS, now: parsed.now ?? new Date(), signal: controller.signal, onProgress });
    const plan = await planRemediation(inventory, report, { severity: parsed.severity, allowMajor: flags.allowMajor, maxCandidates: parsed.maxCandidates, scanner, onProgress });
    if (progress) ctx.stderr.write('\r\x1b[2K');
    const edits = manifests === undefined ? undefined : manifestEdits(plan, manifests);
    if (edits !== undefined) plan.manifests = { files: edits.files.map((f) => f.file), changes: edits.changes, notChanged: edits.notChanged };
    const text =
      parsed.format === 'json'
        ? renderPlanJson(plan)
        : parsed.format === 'kubectl'
          ? renderPlanScript(plan)
          : parsed.format === 'diff' && edits !== undefined
            ? renderManifestDiff(edits)
            : renderPlanTable(plan, { color: wantsColor(ctx, settings.color, flags.output !== undefined) });
    // the diff holds only what changes: what could not be changed is said on stderr
    if (parsed.format === 'diff' && plan.manifests !== undefined) for (const n of plan.manifests.notChanged) ctx.stderr.write(`runwarden: not in the diff: ${n.workload.kind} ${n.workload.namespace}/${n.workload.name} ${n.container}: ${n.reason}\n`);
    await emitReport(ctx, { output: flags.output, format: parsed.format, text, counts: parsed.format === 'diff' ? `${edits?.changes.length ?? 0} image changes in ${edits?.files.length ?? 0} files` : `${plan.summary.patches} patches` });
    if (flags.apply === true) await apply(plan, settings, flags.serverDryRun === true, controller.signal, ctx);
  } finally {
    process.removeListener('SIGINT', onSignal);
    for (const close of closers) close();
  }
}

/** Each workload's patch through the API server, one line each on stderr; exit 1 unless every patch applied. */
async function apply(plan: RemediationPlan, settings: Settings, dryRun: boolean, signal: AbortSignal, ctx: CliContext): Promise<void> {
  const { workloadPatcher } = await import('../../inventory/sources/kubernetes/patch.js');
  const patcher = await workloadPatcher({ kubeconfig: settings.kubeconfig, context: settings.context, inCluster: settings.inCluster ? true : undefined, env: ctx.env });
  const verb = dryRun ? 'would patch (server dry run)' : 'patched';
  let failed = 0;
  let done = 0;
  try {
    for (const w of plan.workloads) {
      if (w.patch === undefined || w.apiPath === undefined) continue;
      const name = `${w.workload.kind} ${w.workload.namespace}/${w.workload.name}`;
      const what = w.containers.filter((c) => c.to !== undefined && c.noPatch === undefined).map((c) => `${c.container} → ${c.to ?? ''}`).join(', ');
      let outcome;
      try {
        outcome = await patcher.patch(w.workload, w.patch, { dryRun, signal });
      } catch (error) {
        signal.throwIfAborted();
        outcome = { status: 'failed' as const, message: errorMessage(error), hint: error instanceof AppError && error.hint !== undefined ? error.hint : 'Check the connection to the API server and retry.' };
      }
      if (outcome.status === 'patched') {
        done++;
        ctx.stderr.write(`runwarden: ${verb} ${name}: ${what}${w.rollout === undefined ? '' : ` (${w.rollout})`}\n`);
        if (w.managedBy !== undefined) ctx.stderr.write(`runwarden: ${name} is ${w.managedBy.note}\n`);
      } else {
        failed++;
        ctx.stderr.write(`runwarden: not patched ${name}: ${outcome.message}${outcome.status === 'failed' ? ` (${outcome.hint})` : ''}\n`);
      }
    }
  } finally {
    patcher.close();
  }
  ctx.stderr.write(`runwarden: ${done} workload(s) ${dryRun ? 'checked by the API server, nothing changed' : 'patched'}${failed > 0 ? `, ${failed} not` : ''} (${patcher.server})\n`);
  if (failed > 0) ctx.exitCode = 1;
}
