import { mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { acquireDataDirLock } from './data-dir-lock.ts';

export { DataDirLockedError } from './data-dir-lock.ts';

// PostgreSQL and PGlite behind one small interface, so every query runs unchanged on both.
export interface QueryOptions {
  /**
   * Keep the statement prepared on each connection (PostgreSQL parses and plans it once, not on
   * every call): for the few statements every callback batch runs. Only for constant SQL text.
   * Behind PgBouncer in transaction mode this needs PgBouncer 1.21+ with max_prepared_statements.
   */
  prepare?: boolean;
}

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[], o?: QueryOptions): Promise<{ rows: R[] }>;
}

export interface Transaction extends Queryable {
  /** Runs a script of several statements (migrations); no parameters. */
  exec(sql: string): Promise<void>;
}

export interface Database extends Transaction {
  readonly kind: 'postgres' | 'pglite';
  transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Runs a write again when PostgreSQL aborted it to break a deadlock (40P01). Writers that touch
 * the same rows in different orders — two callback batches, a batch and the text fetcher, two
 * instances — can meet that way; the one PostgreSQL picks is rolled back and retries after a
 * short random pause. Retried at once, on a busy machine it took the first row back before the
 * survivor (woken, not yet running) had it, and the two deadlocked again a second later.
 */
export async function withDeadlockRetry<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (attempt >= attempts || (err as { code?: string }).code !== '40P01') throw err;
      // The deadlock already cost deadlock_timeout (1 s by default): tens of ms more are nothing.
      await sleep(DEADLOCK_RETRY_PAUSE_MS * attempt * (0.5 + Math.random()));
    }
  }
}

const DEADLOCK_RETRY_PAUSE_MS = 20;

/** Thrown when the database cannot be reached; routes turn it into 503. */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super('database unavailable', { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

// Connection-level failures (server down, restarting, socket reset), as opposed to a bad statement.
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);
function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (e?.code && UNAVAILABLE_CODES.has(e.code)) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(e?.message ?? '');
}
function translate(err: unknown): never {
  throw isUnavailable(err) ? new DatabaseUnavailableError(err) : err;
}

export function connectPostgres(url: string, opts: { max?: number } = {}): Database {
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 20, connectionTimeoutMillis: 3000 });
  // An idle client that loses its server must not crash the process: the pool drops it and reconnects.
  pool.on('error', () => {});
  // A name per distinct SQL text; node-postgres prepares a named statement once per connection.
  const names = new Map<string, string>();
  const config = (sql: string, params: unknown[] | undefined, o: QueryOptions | undefined): pg.QueryConfig => {
    if (!o?.prepare) return { text: sql, values: params };
    let name = names.get(sql);
    if (!name) names.set(sql, (name = `wa_${names.size + 1}`));
    return { name, text: sql, values: params };
  };
  return {
    kind: 'postgres',
    async query(sql, params, o) {
      try {
        return (await pool.query(config(sql, params, o))) as never;
      } catch (err) {
        translate(err);
      }
    },
    async transaction(work) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        translate(err);
      }
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await work({
          query: (sql, params, o) => client.query(config(sql, params, o)) as never,
          exec: async (sql) => { await client.query(sql); },
        });
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => { broken = true; });
        translate(err);
      } finally {
        client.release(broken);
      }
    },
    async exec(sql) {
      try {
        await pool.query(sql);
      } catch (err) {
        translate(err);
      }
    },
    close: () => pool.end(),
  };
}

/**
 * PostgreSQL settings PGlite is started with, on top of its own. PostgreSQL's default 128 MB
 * buffer pool lives inside PGlite's WebAssembly memory, which never shrinks: with it the server
 * idled at about 455 MB RSS and peaked at 525 MB over a 6,200-callback campaign. A 16 MB pool fits
 * in the memory PGlite reserves anyway and brought those to about 325 and 390 MB (the bench's
 * PGlite part, the two alternately); pages beyond it are read back from the OS's file cache.
 */
export const PGLITE_SETTINGS = { shared_buffers: '16MB' } as const;

/**
 * PGlite in a data folder, or in memory with null. A folder is locked for as long as it is open
 * (DataDirLockedError for a second opener): see data-dir-lock.ts.
 */
export async function openPglite(dataDir: string | null): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  // Search's extensions (migration 009), as PostgreSQL has them in its contrib package.
  const { unaccent } = await import('@electric-sql/pglite/contrib/unaccent');
  const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
  const extensions = { unaccent, pg_trgm };
  let unlock = () => {};
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    unlock = acquireDataDirLock(dataDir);
  }
  let db: InstanceType<typeof PGlite>;
  try {
    // Passed as `-c` start options: they override postgresql.conf, which initdb wrote and is left as is.
    const settings = Object.entries(PGLITE_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
    const options = { extensions, startParams: [...PGlite.defaultStartParams, ...settings] };
    db = dataDir ? await PGlite.create(dataDir, options) : await PGlite.create(options);
  } catch (err) {
    unlock();
    throw err;
  }
  return {
    kind: 'pglite',
    query: (sql, params) => db.query(sql, params as unknown[]) as never,
    transaction: (work) =>
      db.transaction((tx) =>
        work({
          query: (sql, params) => tx.query(sql, params as unknown[]) as never,
          exec: async (sql) => { await tx.exec(sql); },
        }),
      ),
    exec: async (sql) => {
      await db.exec(sql);
    },
    close: async () => {
      try {
        await db.close();
      } finally {
        unlock();
      }
    },
  };
}
