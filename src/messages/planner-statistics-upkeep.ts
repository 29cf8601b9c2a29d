import { plannerStatistics, PLANNER_STATISTICS_GROWTH } from '../db/planner-statistics.ts';
import type { Queryable } from '../db/database.ts';
import { startPeriodicPass, type PeriodicPass } from './periodic-pass.ts';

/** How often table sizes are compared with their statistics: a catalog read, well under a millisecond. */
const CHECK_EVERY_MS = 2_000;

/** One check resolves with the tables it analysed. */
export type PlannerStatisticsUpkeep = PeriodicPass<string[]>;

/**
 * Analyses the tables that outgrew their statistics (src/db/planner-statistics.ts says why), every
 * CHECK_EVERY_MS, on every instance.
 */
export function startPlannerStatistics(db: Queryable, log: { warn(o: object, msg: string): void }, everyMs = CHECK_EVERY_MS): PlannerStatisticsUpkeep {
  // The size each table had when this instance last analysed it: an ANALYZE PostgreSQL skipped (a
  // role that does not own the table only gets a warning) is not asked for again every check.
  const analysedAt = new Map<string, number>();
  async function check(): Promise<string[]> {
    const tables = (await plannerStatistics.outgrown(db)).filter((t) => t.pages >= PLANNER_STATISTICS_GROWTH * (analysedAt.get(t.name) ?? 0));
    for (const t of tables) {
      await plannerStatistics.analyze(db, t.name);
      analysedAt.set(t.name, t.pages);
    }
    return tables.map((t) => t.name);
  }
  return startPeriodicPass({ pass: check, everyMs, failed: [], what: 'analysing grown tables', log });
}
