import { DataDirLockedError } from '../db/data-dir-lock.ts';
import { DatabaseUnavailableError } from '../db/database.ts';
import { explainPostgresError } from './doctor-causes.ts';
import type { Messages } from './messages.ts';

/**
 * Why the server could not start, as one line an operator can act on (what failed, the likely
 * cause, the fix), in the operator's language; never a stack or a whole error object. Shares its
 * explanations of database failures with `wa-inbox doctor`.
 */
export function describeStartupError(err: unknown, o: { databaseUrl: string | null; port: number; host: string }, m: Messages): string {
  const e = err as { code?: string; message?: string };
  if (err instanceof DataDirLockedError) return m.startup.failed(m.startup.dataDirLocked(err.dataDir, err.holder.pid), m.startup.dataDirLockedFix);
  if (e?.code === 'EADDRINUSE') return m.startup.failed(m.startup.portInUse(o.port, o.host), m.startup.portInUseFix);
  if (e?.code === 'EACCES') return m.startup.failed(m.startup.portDenied(o.port), m.startup.portDeniedFix);
  // PostgreSQL at start: unreachable, or a refusal (wrong password, missing database) while migrating.
  if (o.databaseUrl && (err instanceof DatabaseUnavailableError || /^(28|3D|08|57P)/.test(e?.code ?? ''))) {
    const { detail, fix } = explainPostgresError(err, o.databaseUrl, m.doctor);
    return m.startup.failed(`${m.doctor.name.database}: ${detail}`, fix);
  }
  return m.startup.failed(m.startup.unexpected(e?.message ?? String(err)), m.startup.unexpectedFix);
}
