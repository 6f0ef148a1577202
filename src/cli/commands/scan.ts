import { Command, Option } from 'commander';
import { splitList } from '../../config/load.js';
import { FAIL_ON, type Settings } from '../../config/schema.js';
import { UsageError, AppError } from '../../core/errors.js';
import { atLeast } from '../../core/severity.js';
import type { InventorySource } from '../../inventory/source.js';
import { snapshotSource } from '../../inventory/sources/snapshot/index.js';
import { demoSnapshotPath } from '../../paths.js';
import { FORMATS, findFormat } from '../../report/registry.js';
import { scan } from '../../scan/index.js';
import { addMalwareOptions } from './malware-options.js';
import type { CliContext } from '../context.js';
import { emitReport, wantsColor } from '../output.js';
import { addPolicyOptions, applyReportFlags, policySettings } from './check.js';
import { addImageAccessOptions } from './image.js';
import { addLifecycleOptions, addRunningImageOptions, lifecycleSetup, resolveScanSettings, runningImagesSetup, unknownValue, type LifecycleFlags, type RunningImagesFlags, type ScanSourceFlags } from './scan-setup.js';
import { renderChunks } from '../../report/format.js';

interface ScanFlags extends ScanSourceFlags, RunningImagesFlags, LifecycleFlags {
  demo?: boolean;
  snapshot?: string;
  kubeconfig?: string;
  context?: string;
  inCluster?: boolean;
  namespace?: string[];
  format?: string;
  output?: string;
  failOn?: string;
  sandboxImage?: string[];
  rules?: string;
  config?: string;
  color?: boolean;
  now?: string;
  debug?: boolean;
  sbomDir?: string;
  db?: string;
  imageDir?: string;
  pullImages?: boolean;
  trustAttachedSbom?: boolean;
  layerCache?: boolean;
  lifecycle?: boolean;
  eolLookahead?: string;
  maxNodeAge?: string;
  controlPlaneVersion?: string;
  imageNode?: string[];
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), ...splitList(value)];

export function scanCommand(ctx: CliContext): Command {
  const command = new Command('scan')
    .description('Inventory a cluster (live or from a snapshot), find run-stage problems and report them')
    .option('--demo', 'scan the bundled demo cluster snapshot')
    .option('--snapshot <path>', 'scan a directory or file of "kubectl get … -o json|yaml" output')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, in-cluster, ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: the current context)')
    .option('--in-cluster', 'use the pod service account (when running inside the cluster)')
    .option('-n, --namespace <names>', 'only these namespaces (repeat or comma-separate); default: all', collect)
    .option('-f, --format <format>', `report format: ${FORMATS.map((f) => f.id).join(', ')} (default: table)`)
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--fail-on <severity>', `exit 1 when a finding is at or above: ${FAIL_ON.join(', ')} (default: none)`)
    .option('--sandbox-image <glob>', 'extra pod sandbox (pause) image globs, in use by every pod', collect);
  addPolicyOptions(command);
  addMalwareOptions(command);
  addLifecycleOptions(command);
  addImageAccessOptions(command, 'the node agent: read running images from this node');
  return addRunningImageOptions(command, 'match the running images against this vulnerability database, also the layer cache (default: $RUNWARDEN_DB or ~/.local/share/runwarden/runwarden.db)')
    .option('--image-node <name>', "scan only the images of pods on this node, e.g. the node agent's own with --containerd-root (repeatable)", collect)
    .option('--config <file>', 'settings file (YAML/JSON); flags and RUNWARDEN_* variables override it')
    .option('--no-color', 'plain output even on a terminal')
    .addOption(new Option('--now <iso-time>', 'evaluate as of this time (reproducible reports)').hideHelp())
    .option('--debug', 'show stack traces on errors')
    .action(async (flags: ScanFlags) => {
      const settings = await resolveSettings(flags, ctx);
      await runScan(settings, flags, ctx);
    });
}

async function resolveSettings(flags: ScanFlags, ctx: CliContext): Promise<Settings> {
  const settings = await resolveScanSettings(flags, ctx, (flagLayer) => {
    applyReportFlags(flags, flagLayer);
    if (flags.color === false) flagLayer.color = 'never';
  });
  if (findFormat(settings.format) === undefined) throw unknownValue('--format', settings.format, FORMATS.map((f) => f.id));
  return settings;
}

export { DEMO_FEEDS, unknownValue } from './scan-setup.js';

/** The inventory source of the settings: the demo, a snapshot, or the live cluster. */
export async function createSource(settings: Settings, ctx: CliContext): Promise<InventorySource> {
  if (settings.demo) return snapshotSource({ path: demoSnapshotPath(), type: 'demo', displayRoot: 'demo/cluster' });
  if (settings.snapshot !== undefined) return snapshotSource({ path: settings.snapshot });
  const { kubernetesSource } = await import('../../inventory/sources/kubernetes/index.js');
  return kubernetesSource({ kubeconfig: settings.kubeconfig, context: settings.context, inCluster: settings.inCluster ? true : undefined, env: ctx.env });
}

async function runScan(settings: Settings, flags: ScanFlags, ctx: CliContext): Promise<void> {
  const progress = ctx.stderr.isTTY === true;
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new AppError('interrupted', 'Scan interrupted'));
  process.once('SIGINT', onSignal);
  let now: Date | undefined;
  if (flags.now !== undefined) {
    now = new Date(flags.now);
    if (Number.isNaN(now.getTime())) throw new UsageError(`Invalid --now "${flags.now}": expected an ISO 8601 time, e.g. "2026-01-31T12:00:00Z".`);
  }
  const closers: Array<() => void> = [];
  try {
    const images = await runningImagesSetup(settings, flags, ctx);
    closers.push(...images.close);
    const lifecycle = await lifecycleSetup(flags, images);
    const { report } = await scan({
      images: images.settings,
      lifecycle,
      source: await createSource(settings, ctx),
      namespaces: settings.namespaces,
      sandboxImages: settings.sandboxImages,
      rules: settings.rules,
      policy: policySettings(settings),
      exceptions: settings.exceptions,
      now,
      signal: controller.signal,
      onProgress: progress ? (message) => ctx.stderr.write(`\r\x1b[2K${message}`) : undefined,
    });
    if (progress) ctx.stderr.write('\r\x1b[2K');
    const format = findFormat(settings.format);
    if (format === undefined) throw unknownValue('--format', settings.format, FORMATS.map((f) => f.id));
    const text = renderChunks(format, report, { color: wantsColor(ctx, settings.color, settings.output !== undefined) });
    await emitReport(ctx, { output: settings.output, format: format.id, text, counts: `${report.summary.findings} findings, ${report.issues.length} issues` });
    if (settings.failOn !== 'none') {
      const threshold = settings.failOn;
      if (report.findings.some((f) => f.suppression === undefined && atLeast(f.severity, threshold))) ctx.exitCode = 1;
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    for (const close of closers) close();
  }
}
