/**
 * Test-only: run by index.test.ts as an unprivileged user (uid nobody) to meet a real EACCES on a
 * socket; prints the CriError it gets as JSON on stdout.
 */
import { CriError } from '../../../../core/errors.js';
import { criClient } from '../client.js';

const address = process.argv[2] ?? '';
const client = criClient(address, { timeoutMs: 2000 });
try {
  const version = await client.version();
  process.stdout.write(JSON.stringify({ ok: version }));
} catch (error) {
  process.stdout.write(JSON.stringify(error instanceof CriError ? { reason: error.reason, message: error.message, hint: error.hint } : { other: String(error) }));
} finally {
  client.close();
}
