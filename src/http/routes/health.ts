import type { FastifyInstance } from 'fastify';
import type { Database } from '../../db/database.ts';
import type { RealtimeLink } from '../../realtime/redis-adapter.ts';

/**
 * For load balancers and `wa-inbox doctor`: 200 when the database answers, 503 otherwise. Redis
 * down is not a reason to take an instance out of rotation (it still records callbacks and serves
 * its own panels), so it answers 200 with `status: 'degraded'` and `redis: 'down'`.
 */
export async function healthRoutes(app: FastifyInstance, opts: { db: Database; realtimeLink?: RealtimeLink }) {
  app.get('/api/health', { config: { public: true } }, async () => {
    await opts.db.query('SELECT 1');
    const redis = opts.realtimeLink ? opts.realtimeLink.state : 'off';
    return { ok: true, status: redis === 'down' ? 'degraded' : 'ok', redis };
  });
}
