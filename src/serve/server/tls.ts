/**
 * An HTTPS listener whose certificate is re-read when its files change (cert-manager renews a Secret in
 * place; the kubelet updates the mounted files): the admission webhook's and the audit receiver's. Built on
 * serve's `listen()` (its keep-alive and timeouts, one line when the port is taken). A renewed pair that does
 * not load is logged and the previous one kept.
 */
import { readFile, stat } from 'node:fs/promises';
import type http from 'node:http';
import type https from 'node:https';
import { createSecureContext, type TLSSocket } from 'node:tls';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../log.js';
import { listen, type Listening } from './app.js';

/**
 * Why a request's client certificate is not accepted, or undefined when it verified against the listener's client
 * CA (`listenTls` `clientCa`). `flag` names the CA's flag in the message. The OpenSSL verify result is named:
 * UNABLE_TO_VERIFY_LEAF_SIGNATURE (another CA), INVALID_PURPOSE (not for clientAuth), CERT_HAS_EXPIRED.
 */
export function clientCertificateProblem(req: http.IncomingMessage, flag: string): string | undefined {
  const socket = req.socket as TLSSocket;
  if (socket.authorized === true) return undefined;
  const presented = typeof socket.getPeerCertificate === 'function' && Object.keys(socket.getPeerCertificate()).length > 0;
  return `a client certificate signed by ${flag} is required (${presented ? String(socket.authorizationError) : 'none presented'})`;
}

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface TlsListening extends Omit<Listening, 'server'> {
  /** Reads the certificate and key again (done on its own when the files change); a bad pair is logged and the old one kept. */
  reloadTls(): Promise<boolean>;
}

/** How often the certificate files are looked at for a renewal. */
const TLS_POLL_MS = 10_000;

/** The pair (and client CA), loaded once to prove it works before it is used. */
async function readContext(files: TlsFiles, ca: Buffer | undefined): Promise<{ cert: Buffer; key: Buffer; ca?: Buffer }> {
  const context = { cert: await readFile(files.certFile), key: await readFile(files.keyFile), ...(ca === undefined ? {} : { ca }) };
  createSecureContext(context);
  return context;
}

export async function listenTls(
  handler: http.RequestListener,
  options: {
    host: string;
    port: number;
    tls: TlsFiles;
    /** PEM CA of client certificates: the handshake asks for one (without failing without one; the handler checks). */
    clientCa?: Buffer | undefined;
    requestTimeoutMs?: number | undefined;
    pollMs?: number | undefined;
    log: Logger;
  },
): Promise<TlsListening> {
  const { log } = options;
  const first = await readContext(options.tls, options.clientCa);
  const listening = await listen(handler, { host: options.host, port: options.port, tls: { ...first, requestCert: options.clientCa !== undefined }, requestTimeoutMs: options.requestTimeoutMs });
  const server = listening.server as https.Server;
  const reloadTls = async (): Promise<boolean> => {
    try {
      server.setSecureContext(await readContext(options.tls, options.clientCa));
      log('info', 'TLS certificate reloaded', { cert: options.tls.certFile });
      return true;
    } catch (error) {
      log('error', 'TLS certificate not reloaded; keeping the previous one', { cert: options.tls.certFile, error: errorMessage(error) });
      return false;
    }
  };
  const stamp = async (): Promise<string> => {
    const [c, k] = await Promise.all([stat(options.tls.certFile), stat(options.tls.keyFile)]);
    return `${c.mtimeMs}:${c.size}:${k.mtimeMs}:${k.size}`;
  };
  let seen = await stamp().catch(() => '');
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    stamp()
      .then(async (now) => {
        if (now === seen) return;
        seen = now;
        await reloadTls();
      })
      .catch((error: unknown) => log('warn', 'TLS certificate files unreadable; keeping the loaded one', { error: errorMessage(error) }))
      .finally(() => {
        checking = false;
      });
  }, options.pollMs ?? TLS_POLL_MS);
  timer.unref();
  return {
    url: listening.url,
    port: listening.port,
    reloadTls,
    close: async () => {
      clearInterval(timer);
      await listening.close();
    },
  };
}
