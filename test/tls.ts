/**
 * Throwaway TLS material for tests, made by openssl (a real CA and a server certificate, as a cluster's
 * cert-manager or kubeadm makes them): the replaying API servers and the admission webhook use it.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireComponent } from './components.js';

const run = promisify(execFile);

/** Why TLS tests cannot run here (openssl missing), or undefined. */
export function tlsSkipReason(): string | undefined {
  return requireComponent('openssl', ['openssl']);
}

export interface Certificates {
  ca: Buffer;
  key: Buffer;
  cert: Buffer;
  /** The files in `dir`: ca.crt, server.key, server.crt. */
  caFile: string;
  keyFile: string;
  certFile: string;
}

/** A CA and a server certificate for 127.0.0.1 and localhost signed by it, valid two days; files in `dir`. */
export async function makeCertificates(dir: string, options: { cn?: string; caName?: string; prefix?: string } = {}): Promise<Certificates> {
  const openssl = (...args: string[]): Promise<unknown> => run('openssl', args, { cwd: dir });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const p = options.prefix ?? '';
  await openssl('req', '-x509', ...ec, '-keyout', `${p}ca.key`, '-out', `${p}ca.crt`, '-days', '2', '-subj', `/CN=${options.caName ?? 'rw-test-ca'}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  await openssl('req', ...ec, '-keyout', `${p}server.key`, '-out', `${p}server.csr`, '-subj', `/CN=${options.cn ?? 'kube-apiserver'}`);
  await writeFile(join(dir, `${p}server.ext`), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
  await openssl('x509', '-req', '-in', `${p}server.csr`, '-CA', `${p}ca.crt`, '-CAkey', `${p}ca.key`, '-CAcreateserial', '-out', `${p}server.crt`, '-days', '2', '-extfile', `${p}server.ext`);
  const caFile = join(dir, `${p}ca.crt`);
  const keyFile = join(dir, `${p}server.key`);
  const certFile = join(dir, `${p}server.crt`);
  return { ca: await readFile(caFile), key: await readFile(keyFile), cert: await readFile(certFile), caFile, keyFile, certFile };
}

/** A client certificate (extendedKeyUsage clientAuth, as kubeadm makes the API server's) signed by the CA of `makeCertificates(dir, { prefix })`. */
export async function clientCertificate(dir: string, prefix: string, cn: string): Promise<{ cert: Buffer; key: Buffer }> {
  const openssl = (...args: string[]): Promise<unknown> => run('openssl', args, { cwd: dir });
  await openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${prefix}client.key`, '-out', `${prefix}client.csr`, '-subj', `/CN=${cn}`);
  await writeFile(join(dir, `${prefix}client.ext`), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
  await openssl('x509', '-req', '-in', `${prefix}client.csr`, '-CA', `${prefix}ca.crt`, '-CAkey', `${prefix}ca.key`, '-CAcreateserial', '-out', `${prefix}client.crt`, '-days', '2', '-extfile', `${prefix}client.ext`);
  return { cert: await readFile(join(dir, `${prefix}client.crt`)), key: await readFile(join(dir, `${prefix}client.key`)) };
}
