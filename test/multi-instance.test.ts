import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { io as connectClient } from 'socket.io-client';
import type { MessageDto } from '../src/realtime/events.ts';
import { databaseKinds } from './support/databases.ts';
import { newSid, startSecondInstance, startTestInbox, statusParams, waitFor, type TestInbox } from './support/inbox.ts';

const REDIS_URL = process.env.WA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const skip = process.env.WA_SKIP_REDIS ? 'Redis not available' : !databaseKinds().includes('postgres') ? 'PostgreSQL not in this run' : false;

// Two instances behind a load balancer: same PostgreSQL, Socket.IO rooms shared through Redis.
describe('two instances sharing PostgreSQL and Redis', { skip }, () => {
  let a: TestInbox;
  let b: Awaited<ReturnType<typeof startSecondInstance>>;
  let bUrl: string;

  before(async () => {
    // Instance A comes from the harness (with the local Twilio); B is a second server on the same database.
    a = await startTestInbox({ kind: 'postgres', startWorkers: false, redisUrl: REDIS_URL });
    b = await startSecondInstance(a, REDIS_URL);
    bUrl = b.url;
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
