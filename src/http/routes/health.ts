import type { FastifyInstance } from 'fastify';
import type { Database } from '../../db/database.ts';

/** For load balancers and `wa-inbox doctor`: 200 when the database answers, 503 otherwise. */
export async function healthRoutes(app: FastifyInstance, opts: { db: Database }) {
  app.get('/api/health', { config: { public: true } }, async () => {
    await opts.db.query('SELECT 1');
    return { ok: true };
  });
}
