/**
 * The malware-signature side of `runwarden db import` and `db status` (called from db.ts): ClamAV
 * signature files (.hdb .hsb .ndb .ldb .fp .sfp …) and CVD/CLD containers go into the same database
 * file as the advisories (table malware_databases).
 */
import type { Db } from '../../store/db.js';
import { importSignatureFile, signatureStatus, type DatabaseStatus } from '../../malware/index.js';
import type { CliContext } from '../context.js';

export async function importSignatures(ctx: CliContext, db: Db, input: string, format: 'table' | 'json'): Promise<void> {
  const result = await importSignatureFile(db, input);
  if (format === 'json') {
    ctx.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const c = result.counts;
  const container = result.container === undefined ? '' : ` (version ${result.container.version}, built ${result.container.builtAt ?? 'at an unknown time'})`;
  ctx.stdout.write(`${result.name}${container}: ${result.signatures} signature(s) imported: ${c.hashes} hash, ${c.bodies} body, ${c.logical} logical, ${c.allow} allow-list\n`);
  if (result.issues.length > 0) {
    ctx.stderr.write(`runwarden: ${result.issues.length} issue(s) in ${input}; the other signatures were imported:\n`);
    for (const i of result.issues.slice(0, 20)) ctx.stderr.write(`  ${i.code}: ${i.message}\n`);
    if (result.issues.length > 20) ctx.stderr.write(`  … and ${result.issues.length - 20} more (use --format json for all)\n`);
  }
}

function age(fromIso: string, now: Date): string {
  const hours = (now.getTime() - Date.parse(fromIso)) / 3_600_000;
  if (hours < 1) return `${Math.max(0, Math.round(hours * 60))} min`;
  if (hours < 48) return `${hours.toFixed(1)} h`;
  return `${(hours / 24).toFixed(1)} days`;
}

/** What `db status` shows about signatures (table lines), and the JSON part. */
export function signatureStatusLines(db: Db, now: Date): { lines: string[]; json: DatabaseStatus[] } {
  const status = signatureStatus(db);
  if (status.length === 0) return { lines: ['', 'Malware signatures: none imported (EICAR is always detected; "runwarden db import <file.cvd|.hdb|.ndb|…>" adds more)'], json: status };
  const total = status.reduce((n, s) => n + s.signatures, 0);
  const lines = ['', `Malware signatures: ${total}`, 'DATABASE                 SIGNATURES   HASH   BODY  LOGICAL  ALLOW  VERSION  AGE'];
  for (const s of status) {
    const since = s.builtAt ?? s.importedAt;
    lines.push(`${s.name.padEnd(24)} ${String(s.signatures).padStart(10)} ${String(s.counts.hashes).padStart(6)} ${String(s.counts.bodies).padStart(6)} ${String(s.counts.logical).padStart(8)} ${String(s.counts.allow).padStart(6)}  ${String(s.version ?? '-').padStart(7)}  ${age(since, now)}${s.builtAt === undefined ? ' (since import)' : ''}`);
  }
  return { lines, json: status };
}
