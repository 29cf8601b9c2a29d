import { mkdirSync } from 'node:fs';
import pg from 'pg';

// PostgreSQL and PGlite behind one small interface, so every query runs unchanged on both.
export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
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

/** Thrown when the database cannot be reached; routes turn it into 503. */
/**
 * Runs a write again when PostgreSQL aborted it to break a deadlock (40P01). Writers that touch
 * the same rows in different orders — two callback batches, a batch and the text fetcher, two
 * instances — can meet that way; the one PostgreSQL picks is rolled back and simply retries.
 */
export async function withDeadlockRetry<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (attempt >= attempts || (err as { code?: string }).code !== '40P01') throw err;
    }
  }
}

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
  return {
    kind: 'postgres',
    async query(sql, params) {
      try {
        return (await pool.query(sql, params as unknown[])) as never;
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
          query: (sql, params) => client.query(sql, params as unknown[]) as never,
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

export async function openPglite(dataDir: string | null): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const db = dataDir ? await PGlite.create(dataDir) : await PGlite.create();
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
    close: () => db.close(),
  };
}
