/**
 * A private containerd (Debian's package) with the CRI plugin, fully under a temp dir, for tests.
 * Host-network pods only (no CNI). Stop it with `stop()`; everything lives under `dir`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Containerd {
  dir: string;
  socket: string;
  /** `unix:///…/containerd.sock` */
  address: string;
  ctr(args: string[]): Promise<string>;
  /** `ctr -n k8s.io images import` of an OCI layout tarball. */
  importImage(layoutTar: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startContainerd(options: { sandboxImage?: string; snapshotter?: 'overlayfs' | 'native' } = {}): Promise<Containerd> {
  const dir = await mkdtemp(join(tmpdir(), 'rw-ctrd-'));
  for (const sub of ['root', 'state', 'opt', 'runc', 'certs.d', 'cni/bin', 'cni/conf']) await mkdir(join(dir, sub), { recursive: true });
  const socket = join(dir, 'containerd.sock');
  const snapshotter = options.snapshotter ?? 'overlayfs';
  await writeFile(
    join(dir, 'config.toml'),
    `version = 2
root = "${dir}/root"
state = "${dir}/state"
oom_score = 0
[grpc]
  address = "${socket}"
[ttrpc]
  address = "${socket}.ttrpc"
[debug]
  address = "${dir}/debug.sock"
  level = "info"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${options.sandboxImage ?? 'localhost/rw/pause:1'}"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  disable_apparmor = true
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "${snapshotter}"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "${dir}/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${dir}/cni/bin"
    conf_dir = "${dir}/cni/conf"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "${dir}/certs.d"
`,
  );
  const { openSync } = await import('node:fs');
  const log = openSync(join(dir, 'containerd.log'), 'a');
  const child: ChildProcess = spawn('containerd', ['--config', join(dir, 'config.toml')], { stdio: ['ignore', log, log] });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const ctr = async (args: string[]): Promise<string> => (await run('ctr', ['-a', socket, ...args], { maxBuffer: 64 * 1024 * 1024 })).stdout;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exited) throw new Error(`containerd exited at start; see ${join(dir, 'containerd.log')}`);
    if (existsSync(socket)) {
      const plugins = await ctr(['plugins', 'ls']).catch(() => '');
      if (/io\.containerd\.grpc\.v1\s+cri\s+.*ok/.test(plugins)) break;
    }
    if (Date.now() > deadline) throw new Error(`containerd did not come up in 20 s; see ${join(dir, 'containerd.log')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    dir,
    socket,
    address: `unix://${socket}`,
    ctr,
    importImage: async (layoutTar) => {
      await ctr(['-n', 'k8s.io', 'images', 'import', '--snapshotter', snapshotter, layoutTar]);
    },
    stop: async () => {
      if (!exited) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
        if (!exited) child.kill('SIGKILL');
      }
      // Leftover mounts of running containers would keep the dir busy: unmount what is ours.
      await run('sh', ['-c', `grep -o " ${dir}[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l`]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}
