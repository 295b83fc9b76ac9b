import { pino } from 'pino';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { verifyChain } from './chain.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `revflow audit-verify [workspaceId]`: verifies the audit hash chain of one workspace, or of
 * every workspace, in the server's database (DATABASE_URL, else the embedded one under
 * REVFLOW_DATA_DIR). Exit code 0 when every chain verifies, 1 when one is broken.
 */
export async function auditVerifyCommand(
  workspaceId: string | undefined,
  out: (line: string) => void,
  json: boolean,
  usageError: (message: string) => Error,
): Promise<number> {
  if (workspaceId !== undefined && !UUID.test(workspaceId))
    throw usageError(`"${workspaceId}" is not a workspace id`);
  const config = loadConfig();
  const db = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.REVFLOW_DATA_DIR,
    logger: pino({ level: 'warn' }),
  });
  try {
    const ids = workspaceId
      ? [workspaceId]
      : (await db.knex('workspaces').orderBy('created_at').select<Array<{ id: string }>>('id')).map(
          (r) => r.id,
        );
    let broken = 0;
    const reports = [];
    for (const id of ids) {
      const report = await verifyChain(db.knex, id);
      reports.push({ workspaceId: id, ...report });
      if (!report.ok) broken += 1;
      if (!json) {
        out(
          report.ok
            ? `✓ ${id}: ${report.entries} entries verify${report.unchained ? ` (${report.unchained} from before the chain)` : ''}`
            : `✗ ${id}: entry ${report.brokenAt!.id} (#${report.brokenAt!.seq}, ${report.brokenAt!.action}) ${report.brokenAt!.reason}`,
        );
      }
    }
    if (json) out(JSON.stringify(reports, null, 2));
    return broken === 0 ? 0 : 1;
  } finally {
    await db.stop();
  }
}
