import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
// Any constant: several instances starting together apply migrations one at a time.
const MIGRATION_LOCK = 727_100_001;

export interface MigrateOptions {
  /**
   * The configured WhatsApp number (whatsapp:+57...): existing conversations move to it when a
   * migration gives them a sender (013). Read by the SQL as `wa_inbox.default_sender`.
   */
  defaultSender?: string | null;
  /** Only the files whose names sort before this (tests build an older schema to migrate a copy of its data from: '013'). */
  before?: string;
}

/** Applies the numbered SQL files in src/db/migrations not applied yet, each in its own transaction. */
export async function migrate(db: Database, o: MigrateOptions = {}): Promise<string[]> {
  const files = readdirSync(MIGRATIONS_DIR).filter((f) => /^\d{3}\..+\.sql$/.test(f)).sort().filter((f) => !o.before || f < o.before);
  await db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
  const applied: string[] = [];
  for (const file of files) {
    const ran = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      const seen = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [file]);
      if (seen.rows.length) return false;
      await tx.query("SELECT set_config('wa_inbox.default_sender', $1, true)", [o.defaultSender ?? '']);
      await tx.exec(readFileSync(MIGRATIONS_DIR + file, 'utf8'));
      await tx.query('INSERT INTO schema_migrations (version) VALUES ($1)', [file]);
      return true;
    });
    if (ran) applied.push(file);
  }
  return applied;
}
