import type { Queryable } from './database.ts';

/**
 * The tables' statistics kept up with their growth, so the statements every callback batch keeps
 * prepared are planned again at the size the tables have now.
 *
 * A prepared statement's generic plan is made once, at the size its tables had then, and made
 * again only when a table's statistics change. Without an ANALYZE (PGlite has no autovacuum, a
 * PostgreSQL may run with it off, and autovacuum looks at a database about once a minute) a server
 * started on empty tables kept plans for empty tables through a whole campaign: its status batch
 * found a new customer's conversation by walking all the sender's conversations, and the messages'
 * and contacts' by sequential scans. Measured on a 30,000-message campaign all from outside:
 * PostgreSQL took 1.6 ms a callback and callbacks ran at 486/s; one ANALYZE mid-run took its
 * writes from 226 to 3,253 a second.
 */

/** A table is analysed when it has at least this many pages (8 kB each) ... */
const MIN_PAGES = 8;
/** ... and at least this many times the pages its statistics last counted (0 when never analysed). */
export const PLANNER_STATISTICS_GROWTH = 2;

export const plannerStatistics = {
  /**
   * This schema's tables that have grown PLANNER_STATISTICS_GROWTH-fold since they were last analysed (by this or by
   * autovacuum: both record the pages they counted in pg_class.relpages).
   */
  async outgrown(q: Queryable): Promise<{ name: string; pages: number }[]> {
    const { rows } = await q.query<{ name: string; pages: number }>(
      `SELECT name, pages FROM (
         SELECT c.relname AS name, c.relpages, (pg_relation_size(c.oid) / current_setting('block_size')::int)::int AS pages
         FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r') t
       WHERE pages >= greatest($1, $2 * relpages) ORDER BY name`,
      [MIN_PAGES, PLANNER_STATISTICS_GROWTH],
    );
    return rows;
  },

  /**
   * Analyses one table; another session analysing it already makes this one skip it (SKIP_LOCKED:
   * two instances checking at once). Reads a sample, takes no lock that writers wait for.
   */
  async analyze(q: Queryable, table: string): Promise<void> {
    await q.query(`ANALYZE (SKIP_LOCKED) ${quoteIdentifier(table)}`);
  },
};

const quoteIdentifier = (name: string) => `"${name.replace(/"/g, '""')}"`;
