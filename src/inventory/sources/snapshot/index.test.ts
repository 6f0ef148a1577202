import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../core/errors.js';
import { loadSnapshot } from './index.js';

const UPSTREAM = join(process.cwd(), 'testdata', 'upstream', 'cluster-state');

function dir(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'rw-snap-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

const pod = (name: string, ns = 'default', image = 'nginx:1.27'): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns },
  spec: { containers: [{ name: 'c', image }] },
});

describe('snapshot source on the upstream cluster-state dumps', () => {
  it('reads all 8 Node objects of nodes-list.json with every cached image of node-images.tsv', async () => {
    const result = await loadSnapshot({ path: join(UPSTREAM, 'nodes-list.json') });
    expect(result.objects.Node).toHaveLength(8);
    const tsv = (await import('node:fs')).readFileSync(join(UPSTREAM, 'node-images.tsv'), 'utf8').trim().split('\n').slice(1);
    const expected = tsv.map((line) => {
      const [node, , , , names, size] = line.split('\t');
      return `${node}|${names}|${size}`;
    });
    const actual = result.objects.Node.flatMap((n) => (n.status?.images ?? []).map((i) => `${n.metadata.name}|${(i.names ?? []).join(' ')}|${i.sizeBytes}`));
    expect(actual.sort()).toEqual(expected.sort());
    expect(actual).toHaveLength(152);
  });

  it('reports nodes that share a name but differ as a conflict, keeping every copy', async () => {
    const result = await loadSnapshot({ path: join(UPSTREAM, 'nodes-list.json') });
    const conflict = result.issues.find((i) => i.code === 'snapshot-conflict');
    expect(conflict?.message).toMatch(/^Node minikube appears 5 times with different content/);
  });

  it('drops exact duplicates of an object found in a List and in its own file', async () => {
    const result = await loadSnapshot({ path: UPSTREAM });
    // pods-and-workloads-list.json wraps the same 7 objects that pods-and-workloads/ holds
    expect(result.objects.Pod.map((p) => p.metadata.name).sort()).toEqual(['collection-94c495554-z8s5k', 'kube-apiserver-minikube', 'nginx-77b4fdf86c-hp4x5']);
    expect(result.objects.ReplicaSet).toHaveLength(2);
    expect(result.objects.Deployment).toHaveLength(2);
    expect(result.complete).toEqual(expect.arrayContaining(['Node', 'Pod', 'ReplicaSet', 'Deployment']));
    expect(result.complete).not.toContain('Service');
  });

  it('places namespaced objects without metadata.namespace in "default", as kubectl apply does', async () => {
    const result = await loadSnapshot({ path: join(UPSTREAM, 'pods-and-workloads') });
    const nginx = result.objects.Pod.find((p) => p.metadata.name === 'nginx-77b4fdf86c-hp4x5');
    expect(nginx?.metadata.namespace).toBe('default');
    expect(result.objects.Pod.find((p) => p.metadata.name === 'kube-apiserver-minikube')?.metadata.namespace).toBe('kube-system');
  });
});

describe('snapshot source: objects kept as read (inventory/identity.ts)', () => {
  it('keeps a valid object as parsed, and copies one it must change instead of editing what it read', async () => {
    const bare = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n', namespace: 'ignored', labels: { zone: null } } };
    const root = dir({
      // the namespace-less pod twice (a List and its own file): still one object, no conflict
      'list.json': JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [bare, pod('q', 'shop'), node] }),
      'p.json': JSON.stringify(bare),
    });
    const result = await loadSnapshot({ path: root });
    expect(result.objects.Pod.map((p) => `${p.metadata.namespace ?? ''}/${p.metadata.name}`)).toEqual(['default/p', 'shop/q']);
    expect(result.issues.filter((i) => i.code === 'snapshot-conflict')).toEqual([]);
    // zod's transforms still apply where the fast path steps aside (a null label reads as '')
    expect(result.objects.Node[0]?.metadata).toEqual({ name: 'n', labels: { zone: '' } });
  });
});

describe('snapshot source formats', () => {
  it('reads multi-document YAML, typed lists whose items have no kind, and nested directories', async () => {
    const root = dir({
      'a.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n# a comment-only document follows\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p1\n  namespace: shop\nspec:\n  containers:\n  - name: c\n    image: nginx\n`,
      'sub/pods.json': JSON.stringify({ apiVersion: 'v1', kind: 'PodList', metadata: {}, items: [{ metadata: { name: 'p2', namespace: 'shop' }, spec: { containers: [{ name: 'c', image: 'redis' }] } }] }),
      'ignored.txt': 'not read',
    });
    const result = await loadSnapshot({ path: root });
    expect(result.objects.Pod.map((p) => p.metadata.name)).toEqual(['p1', 'p2']);
    expect(result.objects.Namespace.map((n) => n.metadata.name)).toEqual(['shop']);
    expect(result.issues).toEqual([]);
  });

  it('records the origin of each object as file and JSON path or YAML line', async () => {
    const root = dir({ 'pods.json': JSON.stringify({ kind: 'List', items: [pod('a'), pod('b')] }), 'one.yaml': `kind: Pod\nmetadata: {name: y}\nspec: {containers: [{name: c, image: x}]}\n` });
    const result = await loadSnapshot({ path: root, displayRoot: 'snap' });
    const origins = result.objects.Pod.map((p) => result.origins.get(p));
    expect(origins).toEqual(['snap/one.yaml:1', 'snap/pods.json $.items[0]', 'snap/pods.json $.items[1]']);
  });

  it('keeps only the requested namespaces but all cluster-scoped objects', async () => {
    const root = dir({ 'x.json': JSON.stringify({ kind: 'List', items: [pod('a', 'one'), pod('b', 'two'), { kind: 'Node', metadata: { name: 'n1' } }, { kind: 'Namespace', metadata: { name: 'two' } }] }) });
    const result = await loadSnapshot({ path: root }, { namespaces: ['one'] });
    expect(result.objects.Pod.map((p) => p.metadata.name)).toEqual(['a']);
    expect(result.objects.Node).toHaveLength(1);
    expect(result.objects.Namespace).toHaveLength(0);
    expect(result.namespaces).toEqual(['one']);
  });
});

describe('snapshot source: RBAC, ServiceAccounts and Istio PeerAuthentications', () => {
  const rbac = {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web', namespace: 'shop' }, automountServiceAccountToken: false },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'reader', namespace: 'ignored' }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'reader' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'reader' }, subjects: [{ kind: 'ServiceAccount', name: 'web', namespace: 'shop' }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r' }, rules: [] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'b', namespace: 'shop' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' }, subjects: [] },
    ],
  };

  it('reads the RBAC kinds, keeps cluster-scoped ones out of namespaces and namespaced ones in "default" when unset', async () => {
    const result = await loadSnapshot({ path: dir({ 'rbac.json': JSON.stringify(rbac) }) });
    expect(result.objects.ServiceAccount.map((o) => [o.metadata.namespace, o.metadata.name, o.automountServiceAccountToken])).toEqual([['shop', 'web', false]]);
    expect(result.objects.ClusterRole.map((o) => [o.metadata.namespace, o.metadata.name])).toEqual([[undefined, 'reader']]);
    expect(result.objects.ClusterRoleBinding.map((o) => o.metadata.name)).toEqual(['reader']);
    expect(result.objects.Role.map((o) => [o.metadata.namespace, o.metadata.name])).toEqual([['default', 'r']]);
    expect(result.complete).toEqual(['ServiceAccount', 'Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);
    expect(result.issues).toEqual([]);
  });

  it('keeps cluster-scoped RBAC objects under a namespace filter', async () => {
    const result = await loadSnapshot({ path: dir({ 'rbac.json': JSON.stringify(rbac) }) }, { namespaces: ['other'] });
    expect([result.objects.ClusterRole.length, result.objects.ClusterRoleBinding.length, result.objects.ServiceAccount.length, result.objects.RoleBinding.length]).toEqual([1, 1, 0, 0]);
  });

  it('reads PeerAuthentications of security.istio.io/v1 and v1beta1 from a PeerAuthenticationList', async () => {
    const list = {
      apiVersion: 'v1',
      kind: 'PeerAuthenticationList',
      items: [
        { apiVersion: 'security.istio.io/v1', metadata: { name: 'default', namespace: 'istio-system' }, spec: { mtls: { mode: 'STRICT' } } },
        { apiVersion: 'security.istio.io/v1beta1', metadata: { name: 'legacy', namespace: 'shop' }, spec: { mtls: { mode: 'PERMISSIVE' } } },
      ],
    };
    const result = await loadSnapshot({ path: dir({ 'pa.json': JSON.stringify(list) }) });
    expect(result.objects.PeerAuthentication.map((o) => `${o.apiVersion} ${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual(['security.istio.io/v1 istio-system/default', 'security.istio.io/v1beta1 shop/legacy']);
    expect(result.complete).toEqual(['PeerAuthentication']);
  });

  it('names the YAML line of a PeerAuthentication of another API group, and skips it', async () => {
    const root = dir({ 'pa.yaml': 'apiVersion: example.com/v1\nkind: PeerAuthentication\nmetadata:\n  name: x\n  namespace: shop\n' });
    const result = await loadSnapshot({ path: root, displayRoot: 'snap' });
    expect(result.objects.PeerAuthentication).toEqual([]);
    expect(result.issues.map((i) => i.message)).toEqual(['snap/pa.yaml:1: invalid PeerAuthentication "x": expected apiVersion security.istio.io/v1 or security.istio.io/v1beta1 at $.apiVersion']);
  });
});

describe('snapshot source on bad input', () => {
  it('names the file, line and column of invalid JSON and still reads the other files', async () => {
    const root = dir({ 'bad.json': '{\n  "kind": "Pod",\n  "metadata": {"name": "x",}\n}\n', 'good.json': JSON.stringify(pod('ok')) });
    const result = await loadSnapshot({ path: root, displayRoot: 'snap' });
    expect(result.objects.Pod.map((p) => p.metadata.name)).toEqual(['ok']);
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]?.code).toBe('snapshot-parse');
    expect(result.issues[0]?.message).toMatch(/^snap\/bad\.json: invalid JSON at line 3 column \d+/);
  });

  it('names the file and line of invalid YAML', async () => {
    const root = dir({ 'bad.yaml': 'kind: Pod\nmetadata:\n  name: x\n   bad: indent\nspec: {}\n' });
    const result = await loadSnapshot({ path: root, displayRoot: 'snap' });
    expect(result.issues[0]?.message).toBe('snap/bad.yaml:3: invalid YAML (document 1): Nested mappings are not allowed in compact mappings (column 9)');
  });

  it('names the JSON path of an invalid object, skips it and keeps its siblings', async () => {
    const broken = { kind: 'Pod', metadata: { name: 'broken', namespace: 'default' }, spec: { containers: 'nginx' } };
    const root = dir({ 'pods.json': JSON.stringify({ kind: 'List', items: [pod('a'), broken, pod('c')] }) });
    const result = await loadSnapshot({ path: root, displayRoot: 'snap' });
    expect(result.objects.Pod.map((p) => p.metadata.name)).toEqual(['a', 'c']);
    expect(result.issues[0]?.message).toBe('snap/pods.json $.items[1].spec.containers: invalid Pod "broken": Invalid input: expected array, received string at $.spec.containers');
  });

  it('names the YAML line of an invalid field', async () => {
    const root = dir({ 'pod.yaml': 'kind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: 42\n' });
    const result = await loadSnapshot({ path: root, displayRoot: 'snap' });
    expect(result.issues[0]?.location).toBe('snap/pod.yaml:7');
    expect(result.issues[0]?.message).toContain('at $.spec.containers[0].image');
  });

  it('reports an object without kind, an empty file and unknown kinds', async () => {
    const root = dir({ 'a.json': JSON.stringify({ metadata: { name: 'x' } }), 'b.yaml': '', 'c.yaml': 'kind: ConfigMap\nmetadata: {name: cm}\n' });
    const result = await loadSnapshot({ path: root, displayRoot: 'snap' });
    expect(result.issues.map((i) => i.code).sort()).toEqual(['snapshot-empty', 'snapshot-empty-file', 'snapshot-ignored-kind', 'snapshot-invalid']);
    expect(result.issues.find((i) => i.code === 'snapshot-invalid')?.message).toBe('snap/a.json $: object has no "kind"');
    expect(result.issues.find((i) => i.code === 'snapshot-ignored-kind')?.message).toBe('Ignored 1 object(s) of kind ConfigMap: not part of the inventory');
  });

  it('throws InputError naming a path that does not exist', async () => {
    await expect(loadSnapshot({ path: '/nonexistent/snap' })).rejects.toThrow(InputError);
    await expect(loadSnapshot({ path: '/nonexistent/snap' })).rejects.toThrow('Cannot read snapshot "/nonexistent/snap": ENOENT');
  });

  it('throws InputError for a directory without snapshot files', async () => {
    const root = dir({ 'readme.txt': 'x' });
    await expect(loadSnapshot({ path: root })).rejects.toThrow(/No \.json, \.yaml or \.yml files/);
  });

  it('reads files in order as readFile decodes them: UTF-8, invalid bytes, files larger and smaller than the one before', async () => {
    const big = { ...pod('b'), metadata: { name: 'b', namespace: 'default', labels: { owner: 'café ✓ 漢字', padding: 'x'.repeat(200_000) } } };
    const root = dir({ 'a.json': JSON.stringify(pod('a')), 'b.json': JSON.stringify(big), 'c.json': JSON.stringify(pod('c')), 'd.yaml': 'kind: Pod\nmetadata: {name: d}\nspec: {containers: [{name: c, image: nginx}]}\n' });
    // A label value with a byte that is not UTF-8: decoded to U+FFFD, as readFile(…, 'utf8') does.
    const [head, tail] = JSON.stringify({ ...pod('e'), metadata: { name: 'e', labels: { v: '@' } } }).split('@');
    writeFileSync(join(root, 'e.json'), Buffer.concat([Buffer.from(head ?? ''), Buffer.from([0xff]), Buffer.from(tail ?? '')]));
    const result = await loadSnapshot({ path: root, displayRoot: 'snap' });
    expect(result.issues).toEqual([]);
    expect(result.objects.Pod.map((p) => p.metadata.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(result.objects.Pod[1]?.metadata.labels?.owner).toBe('café ✓ 漢字');
    expect(result.objects.Pod[4]?.metadata.labels?.v).toBe((JSON.parse(readFileSync(join(root, 'e.json'), 'utf8')) as { metadata: { labels: { v: string } } }).metadata.labels.v);
    expect(result.objects.Pod[4]?.metadata.labels?.v).toBe('\ufffd');
    expect(result.objects.Pod.map((p) => result.origins.get(p))).toEqual(['snap/a.json $', 'snap/b.json $', 'snap/c.json $', 'snap/d.yaml:1', 'snap/e.json $']);
  });

  it('stops at the abort signal', async () => {
    const root = dir({ 'a.json': JSON.stringify(pod('a')) });
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(loadSnapshot({ path: root }, { signal: controller.signal })).rejects.toThrow('stop');
  });
});
