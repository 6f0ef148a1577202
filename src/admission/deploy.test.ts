/**
 * deploy/admission: the kustomization's patches applied to deploy/serve (JSON patch "add", as kustomize applies
 * them), then held against the code: flags the serve command has, ports and paths that meet, the webhook
 * rules covering every kind admission reviews, and runwarden's own check passing the result.
 */
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { cli, cliContext } from '../../test/cli.js';
import { serveCommand } from '../cli/commands/serve.js';
import { packageRoot } from '../paths.js';
import { REVIEWED_KINDS } from './decide.js';

const DEPLOY = join(packageRoot(), 'deploy');
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function yaml(path: string): Promise<Obj> {
  return parse(await readFile(join(DEPLOY, path), 'utf8')) as Obj;
}

/** JSON patch `add` with a path ending in `/-` (append), the only operation the kustomization uses. */
function applyPatch(target: Obj, ops: Array<{ op: string; path: string; value: unknown }>): void {
  for (const { op, path, value } of ops) {
    expect(op).toBe('add');
    const keys = path.split('/').slice(1);
    expect(keys.at(-1)).toBe('-');
    let node: Obj = target;
    for (const key of keys.slice(0, -1)) node = (node)[/^\d+$/.test(key) ? Number(key) : key] as Obj;
    expect(Array.isArray(node), path).toBe(true);
    (node as unknown as unknown[]).push(value);
  }
}

async function patched(): Promise<{ deployment: Obj; service: Obj; webhook: Obj; kustomization: Obj }> {
  const kustomization = await yaml('admission/kustomization.yaml');
  const deployment = await yaml('serve/deployment.yaml');
  const service = await yaml('serve/service.yaml');
  for (const p of kustomization.patches as Array<{ target: { kind: string; name: string }; patch: string }>) {
    const target = p.target.kind === 'Deployment' ? deployment : p.target.kind === 'Service' ? service : undefined;
    expect(target?.metadata.name, `${p.target.kind}/${p.target.name}`).toBe(p.target.name);
    applyPatch(target as Obj, parse(p.patch) as Array<{ op: string; path: string; value: unknown }>);
  }
  return { deployment, service, webhook: await yaml('admission/webhook.yaml'), kustomization };
}

describe('deploy/admission', () => {
  it('lists only files that exist, and deploy/serve as its base', async () => {
    const { kustomization } = await patched();
    expect(kustomization.resources).toContain('../serve');
    for (const r of kustomization.resources as string[]) await expect(readFile(join(DEPLOY, 'admission', r === '../serve' ? '../serve/kustomization.yaml' : r))).resolves.toBeDefined();
  });

  it("the control plane's optional files: the admission config names the kubeconfig, whose user is the webhook's Service address; neither is applied", async () => {
    const { webhook, kustomization } = await patched();
    const config = await yaml('admission/apiserver-admission-config.yaml');
    expect(config).toMatchObject({ apiVersion: 'apiserver.config.k8s.io/v1', kind: 'AdmissionConfiguration' });
    const plugin = (config.plugins as Obj[]).find((p) => p.name === 'ValidatingAdmissionWebhook');
    expect(plugin?.configuration).toMatchObject({ apiVersion: 'apiserver.config.k8s.io/v1', kind: 'WebhookAdmission' });
    expect((plugin?.configuration.kubeConfigFile as string).endsWith('/apiserver-webhook-kubeconfig.yaml')).toBe(true);
    const kubeconfig = await yaml('admission/apiserver-webhook-kubeconfig.yaml');
    // the API server picks the user by the webhook's DNS name, with the port when it is not 443
    const { service } = (webhook.webhooks as Obj[])[0]?.clientConfig as Obj;
    const address = `${service.name}.${service.namespace}.svc${service.port === 443 ? '' : `:${service.port}`}`;
    expect((kubeconfig.users as Obj[]).map((u) => String(u.name))).toEqual([address]);
    expect(Object.keys((kubeconfig.users as Obj[])[0]?.user as Obj).sort()).toEqual(['client-certificate', 'client-key']);
    expect(kustomization.resources).not.toContain('apiserver-admission-config.yaml');
    expect(kustomization.resources).not.toContain('apiserver-webhook-kubeconfig.yaml');
    // the flag the readme tells to add is serve's
    expect(serveCommand(cliContext()).options.map((o) => o.long)).toContain('--admission-client-ca');
  });

  it('adds only flags runwarden serve has, with a certificate path inside the mounted Secret', async () => {
    const { deployment } = await patched();
    const container = deployment.spec.template.spec.containers[0] as Obj;
    const args = container.args as string[];
    const known = new Set(serveCommand(cliContext()).options.map((o) => o.long));
    for (const arg of args.filter((a) => a.startsWith('--'))) expect(known, arg).toContain(arg.split('=')[0]);
    const cert = args.find((a) => a.startsWith('--admission-tls-cert='))?.split('=')[1] ?? '';
    const mount = (container.volumeMounts as Obj[]).find((m) => m.name === 'admission-tls');
    expect(dirname(cert)).toBe(mount?.mountPath);
    const volume = (deployment.spec.template.spec.volumes as Obj[]).find((v) => v.name === 'admission-tls');
    expect(volume?.secret.secretName).toBe((parseAllDocuments(await readFile(join(DEPLOY, 'admission/certificate.yaml'), 'utf8')).map((d) => d.toJS() as Obj).find((d) => d.kind === 'Certificate') as Obj).spec.secretName);
  });

  it('points the webhook at the Service port that reaches the container port, on path /validate', async () => {
    const { deployment, service, webhook } = await patched();
    const args = deployment.spec.template.spec.containers[0].args as string[];
    const containerPort = (deployment.spec.template.spec.containers[0].ports as Obj[]).find((p) => p.name === 'admission');
    expect(args).toContain(`--admission-port=${String(containerPort?.containerPort)}`);
    const client = (webhook.webhooks as Obj[])[0]?.clientConfig.service as Obj;
    const port = (service.spec.ports as Obj[]).find((p) => p.port === client.port);
    expect(port?.targetPort).toBe('admission');
    expect(client).toMatchObject({ name: service.metadata.name, namespace: service.metadata.namespace, path: '/validate' });
  });

  it('sends every kind admission reviews, v1 only, never the namespace runwarden runs in; its failure policy matches --failure-mode', async () => {
    const { deployment, webhook } = await patched();
    const hook = (webhook.webhooks as Obj[])[0] as Obj;
    expect(hook).toMatchObject({ admissionReviewVersions: ['v1'], sideEffects: 'None' });
    expect(hook.timeoutSeconds).toBeLessThanOrEqual(10);
    const resources = new Set((hook.rules as Obj[]).flatMap((r) => r.resources as string[]));
    const plural: Record<string, string> = { Pod: 'pods', Deployment: 'deployments', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets', ReplicaSet: 'replicasets', Job: 'jobs', CronJob: 'cronjobs' };
    for (const kind of REVIEWED_KINDS) expect(resources, kind).toContain(plural[kind]);
    const excluded = (hook.namespaceSelector.matchExpressions as Obj[]).find((e) => e.key === 'kubernetes.io/metadata.name' && e.operator === 'NotIn')?.values as string[];
    expect(excluded).toContain(deployment.metadata.namespace);
    const mode = (deployment.spec.template.spec.containers[0].args as string[]).find((a) => a.startsWith('--failure-mode='))?.split('=')[1];
    expect({ open: 'Ignore', closed: 'Fail' }[mode ?? '']).toBe(hook.failurePolicy);
  });

  it('passes runwarden check with no finding at or above high (the patched Deployment)', async () => {
    const { deployment, service } = await patched();
    const dir = await mkdtemp(join(tmpdir(), 'rw-deploy-admission-'));
    try {
      await writeFile(join(dir, 'all.yaml'), [deployment, service].map((o) => stringify(o)).join('---\n'));
      const run = await cli(['check', join(dir, 'all.yaml'), join(DEPLOY, 'admission', 'webhook.yaml'), join(DEPLOY, 'admission', 'networkpolicy.yaml'), '--fail-on', 'high', '--format', 'json']);
      expect(run.code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
