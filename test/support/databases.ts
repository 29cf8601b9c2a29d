import { randomBytes } from 'node:crypto';
import { connectPostgres, openPglite, type Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';

export type DatabaseKind = 'postgres' | 'pglite';

/** The databases this run covers: scripts/test.mjs sets WA_TEST_DATABASES after probing PostgreSQL. */
export function databaseKinds(): DatabaseKind[] {
  const list = (process.env.WA_TEST_DATABASES ?? 'postgres,pglite').split(',').map((s) => s.trim()).filter(Boolean);
  return list as DatabaseKind[];
}

export const POSTGRES_ADMIN_URL = process.env.WA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A connection for CREATE/DROP DATABASE. The URL's own database need not exist: on a server that
 * has no `test` database (a fresh install) the maintenance databases serve instead, since every
 * test makes and drops a database of its own anyway.
 */
async function connectAdmin(): Promise<Database> {
  const candidates = [POSTGRES_ADMIN_URL, ...['postgres', 'template1'].map((db) => Object.assign(new URL(POSTGRES_ADMIN_URL), { pathname: `/${db}` }).toString())];
  let lastError: unknown;
  for (const url of candidates) {
    const admin = connectPostgres(url, { max: 1 });
    try {
      await admin.query('SELECT 1');
      return admin;
    } catch (err) {
      lastError = err;
      await admin.close().catch(() => {});
      // Only a missing database moves on to the next candidate; a refused connection or a bad password is the answer.
      if ((err as { cause?: { code?: string } }).cause?.code !== '3D000' && (err as { code?: string }).code !== '3D000') throw err;
    }
  }
  throw lastError;
}

/** A fresh database, migrated unless `empty`: an in-memory PGlite, or a new PostgreSQL database dropped on close. */
export async function openTestDatabase(kind: DatabaseKind, o: { poolSize?: number; /** without the schema (a restore's target) */ empty?: boolean } = {}): Promise<{ db: Database; url: string | null; close(): Promise<void> }> {
  if (kind === 'pglite') {
    const db = await openPglite(null);
    if (!o.empty) await migrate(db);
    return { db, url: null, close: () => db.close() };
  }
  const name = `wa_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = await connectAdmin();
  await admin.exec(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  const db = connectPostgres(url.toString(), { max: o.poolSize ?? 10 });
  if (!o.empty) await migrate(db);
  return {
    db,
    url: url.toString(),
    async close() {
      await db.close();
      await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.close();
    },
  };
}
