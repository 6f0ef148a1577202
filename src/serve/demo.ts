/**
 * `runwarden serve --demo`: a synthetic history so the trend chart and time-to-fix show something on first
 * start. The past scans are the real demo report with a deterministic share of its findings left out (found
 * later) or added back (fixed since), recorded through the same history store as real scans.
 */
import { createHash } from 'node:crypto';
import type { ScanReport } from '../core/report.js';
import type { HistoryStore } from './history/store.js';
import { scanId } from './monitor.js';

export const DEMO_DAYS = 14;

/** Records `days` daily scans ending the day before `now`; does nothing when the history has scans already. */
export async function seedDemoHistory(history: HistoryStore, report: ScanReport, now: Date, days = DEMO_DAYS): Promise<number> {
  if ((await history.scans({ limit: 1 })).length > 0) return 0;
  const findings = report.findings.filter((f) => f.suppression === undefined);
  for (let d = days; d >= 1; d--) {
    const at = new Date(now.getTime() - d * 86_400_000);
    // Each finding opened some days ago (a third were there from the start); 30% were fixed a few days after and
    // are back now (the first real scan reopens them), so time-to-fix has data.
    const kept = findings.filter((f) => {
      const h = createHash('sha256').update(f.id).digest();
      const openedAgo = Math.min(days, (h[0] ?? 0) % (days + 7));
      const closedAgo = (h[1] ?? 0) % 10 < 3 ? Math.max(1, openedAgo - 2 - ((h[2] ?? 0) % 4)) : undefined;
      return d <= openedAgo && !(closedAgo !== undefined && d <= closedAgo);
    });
    await history.recordScan({ id: scanId(at), startedAt: at, finishedAt: at, reason: 'demo-history', report: { ...report, generatedAt: at.toISOString(), findings: kept } });
  }
  return days;
}
