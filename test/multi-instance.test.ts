import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { io as connectClient } from 'socket.io-client';
import { buildApp, type App } from '../src/app.ts';
import { loadConfig } from '../src/config/env.ts';
import { connectPostgres, type Database } from '../src/db/database.ts';
import type { MessageDto } from '../src/realtime/events.ts';
import { connectRedisAdapter } from '../src/realtime/redis-adapter.ts';
import { createTwilioGateway } from '../src/twilio/gateway.ts';
import { databaseKinds } from './support/databases.ts';
import { freePort, newSid, OUR_NUMBER, startTestInbox, statusParams, waitFor, type TestInbox } from './support/inbox.ts';

const REDIS_URL = process.env.WA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const skip = process.env.WA_SKIP_REDIS ? 'Redis not available' : !databaseKinds().includes('postgres') ? 'PostgreSQL not in this run' : false;

// Two instances behind a load balancer: same PostgreSQL, Socket.IO rooms shared through Redis.
describe('two instances sharing PostgreSQL and Redis', { skip }, () => {
  let a: TestInbox;
  let b: App & { db: Database; close(): Promise<void> };
  let bUrl: string;

  before(async () => {
    // Instance A comes from the harness (with the local Twilio); B is a second server on the same database.
    a = await startTestInbox({ kind: 'postgres', startWorkers: false, redisUrl: REDIS_URL });
    const port = await freePort();
    bUrl = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      BASE_URL: a.baseUrl, TWILIO_ACCOUNT_SID: a.accountSid, TWILIO_AUTH_TOKEN: a.authToken, TWILIO_WHATSAPP_FROM: OUR_NUMBER,
      TWILIO_API_URL: a.local.url, LOG_LEVEL: 'silent', SESSION_SECRET: 'a-test-secret-of-enough-length', RECONCILE_INTERVAL: '0',
    });
    const db = connectPostgres(a.databaseUrl!, { max: 4 });
    const redis = await connectRedisAdapter(REDIS_URL);
    const built = await buildApp({ config, twilioConfig: config.twilio!, db, twilio: createTwilioGateway(config.twilio!), startWorkers: false, realtimeAdapter: redis.adapter });
    await built.app.listen({ port, host: '127.0.0.1' });
    b = { ...built, db, async close() { await built.app.close(); await redis.close(); await db.close(); } };
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  test('a callback handled by instance A reaches a browser connected to instance B; sessions work on both', async () => {
    const cookie = await a.loginCookie();
    const me = await fetch(`${bUrl}/api/auth/me`, { headers: { cookie } });
    assert.equal(me.status, 200, 'a session made on A is valid on B');
    const socket = connectClient(bUrl, { transports: ['websocket'], extraHeaders: { cookie }, reconnection: false, forceNew: true });
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
    const seen: MessageDto[] = [];
    socket.on('message:new', (m) => seen.push(m));
    const sid = newSid();
    assert.equal((await a.postSigned('/api/whatsapp/status', statusParams(sid, 'sent'))).status, 204);
    const got = await waitFor(() => seen.find((m) => m.sid === sid), 'the event on B');
    assert.equal(got.source, 'external');
    socket.close();
  });
});
