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

/** A fresh, migrated database: an in-memory PGlite, or a new PostgreSQL database dropped on close. */
export async function openTestDatabase(kind: DatabaseKind, o: { poolSize?: number } = {}): Promise<{ db: Database; url: string | null; close(): Promise<void> }> {
  if (kind === 'pglite') {
    const db = await openPglite(null);
    await migrate(db);
    return { db, url: null, close: () => db.close() };
  }
  const name = `wa_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = connectPostgres(POSTGRES_ADMIN_URL, { max: 1 });
  await admin.exec(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  const db = connectPostgres(url.toString(), { max: o.poolSize ?? 10 });
  await migrate(db);
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
