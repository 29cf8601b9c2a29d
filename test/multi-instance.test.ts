import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { io as connectClient } from 'socket.io-client';
import twilio from 'twilio';
import { connectRedisAdapter } from '../src/realtime/redis-adapter.ts';
import { databaseKinds } from './support/databases.ts';
import { newSid, OUR_NUMBER, startSecondInstance, startTestInbox, statusParams, waitFor, type TestInbox } from './support/inbox.ts';
import { record, watch } from './support/realtime.ts';

const STATUS = '/api/whatsapp/status';
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
    const panel = record(socket);
    const sid = newSid();
    assert.equal((await a.postSigned('/api/whatsapp/status', statusParams(sid, 'sent'))).status, 204);
    const entry = await waitFor(() => panel.conversationOf(sid), 'the list entry on B');
    assert.equal(entry.lastMessage!.source, 'external');
    // The chat open on B: A's status write reaches it through the room, across instances.
    assert.equal(await watch(socket, entry.id), true, 'watching on B');
    assert.equal((await a.postSigned('/api/whatsapp/status', statusParams(sid, 'delivered'))).status, 204);
    await waitFor(() => panel.messages.find((e) => e.message.sid === sid && e.message.status === 'delivered'), 'the message event on B');
    socket.close();
  });

  test('a message whose text has line breaks and tabs reaches B whole; B gets only the events of the chat it has open', async () => {
    const cookie = await a.loginCookie();
    const socket = connectClient(bUrl, { transports: ['websocket'], extraHeaders: { cookie }, reconnection: false, forceNew: true });
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
    const panel = record(socket);
    const inbound = (from: string, body: string) => a.postSigned('/api/whatsapp/incoming', {
      MessageSid: newSid(), AccountSid: 'AC' + '0'.repeat(32), From: from, To: OUR_NUMBER, Body: body, NumMedia: '0', ProfileName: 'Rosa',
    });
    const [watched, other] = ['whatsapp:+573185551001', 'whatsapp:+573185551002'];
    assert.equal((await inbound(watched, 'hola')).status, 200);
    const entry = await waitFor(() => panel.batches.flatMap((x) => x.update.conversations).find((c) => c.contact.phone === watched.slice('whatsapp:'.length)), 'the list entry on B');
    assert.equal(await watch(socket, entry.id), true);
    // Raised together on A (one relay message): the other chat's event, then the watched one's.
    const body = 'línea 1\n\tlínea 2\t"fin"\r\n';
    await Promise.all([inbound(other, 'otra\nconversación'), inbound(watched, body)]);
    const got = await waitFor(() => panel.messages.find((e) => e.message.body === body), 'the text on B, line breaks and tabs included');
    assert.equal(got.event, 'new');
    await waitFor(() => panel.batches.flatMap((x) => x.update.conversations).find((c) => c.contact.phone === other.slice('whatsapp:'.length)), 'the other chat in B\'s list');
    assert.deepEqual(panel.messages.filter((e) => e.message.conversationId !== entry.id), [], 'no event of a chat not open on B');
    socket.close();
  });
});

// A rolling restart: the instance that stops closes its own panels' sockets, not the others'.
describe('an instance stopping beside others', { skip }, () => {
  test('leaves the panels connected to the other instances open', async () => {
    const a = await startTestInbox({ kind: 'postgres', startWorkers: false, redisUrl: REDIS_URL });
    const [b, c] = [await startSecondInstance(a, REDIS_URL), await startSecondInstance(a, REDIS_URL)];
    try {
      const cookie = await a.loginCookie();
      const socket = connectClient(b.url, { transports: ['websocket'], extraHeaders: { cookie }, reconnection: false, forceNew: true });
      await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
      const disconnects: string[] = [];
      socket.on('disconnect', (reason) => disconnects.push(reason));
      const panel = record(socket);
      await c.close();
      // Raised on A after C had stopped: Redis hands B C's last words before this.
      const sid = newSid();
      assert.equal((await a.postSigned(STATUS, statusParams(sid, 'sent'))).status, 204);
      await waitFor(() => panel.conversationOf(sid), 'the list entry on B, after C stopped');
      assert.deepEqual(disconnects, [], 'B\'s panel still connected');
      assert.equal(socket.connected, true);
      socket.close();
    } finally {
      await b.close();
      await a.close();
    }
  });
});

// The relay carries the heavy traffic between instances; Redis hands each message to its sender
// too, which skips it unread.
describe('the relay between instances', { skip }, () => {
  test('delivers each message to the other instances, never back to its sender', async () => {
    const key = `wa-relay-${newSid()}`;
    const [x, y] = [connectRedisAdapter(REDIS_URL, { key }), connectRedisAdapter(REDIS_URL, { key })];
    try {
      await waitFor(() => x.link.state === 'up' && y.link.state === 'up', 'both linked');
      const [atX, atY]: string[][] = [[], []];
      x.relay.onMessage((m) => atX.push(m));
      y.relay.onMessage((m) => atY.push(m));
      x.relay.send('from x\nsecond line');
      await waitFor(() => atY.length === 1, 'x\'s message at y');
      // Published after x's message reached y, so Redis has handed x's own copy to x before this.
      y.relay.send('from y');
      await waitFor(() => atX.length === 1, 'y\'s message at x');
      assert.deepEqual(atX, ['from y']);
      assert.deepEqual(atY, ['from x\nsecond line']);
    } finally {
      await Promise.all([x.close(), y.close()]);
    }
  });
});

// Background work with both instances' workers running: each outside message's text is fetched
// from Twilio exactly once, whichever instance took its callback.
describe('two instances share the background jobs', { skip }, () => {
  let a: TestInbox;
  let b: Awaited<ReturnType<typeof startSecondInstance>>;

  before(async () => {
    a = await startTestInbox({ kind: 'postgres', startWorkers: true, redisUrl: REDIS_URL, lifecycle: { statuses: [] } });
    b = await startSecondInstance(a, REDIS_URL, { startWorkers: true });
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  test('each fetch job is done once across the two instances', async () => {
    const sids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const to = `whatsapp:+5731900${String(i).padStart(5, '0')}`;
      const { sid } = await a.local.simulateExternalSend({ to, body: `Mensaje ${i} desde la web` });
      sids.push(sid);
      const params = statusParams(sid, 'sent', { to });
      // Behind a load balancer both instances have the same public URL, which Twilio signs.
      const signature = twilio.getExpectedTwilioSignature(a.authToken, a.baseUrl + STATUS, params);
      const target = i % 2 === 0 ? a.baseUrl : b.url;
      const res = await fetch(target + STATUS, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }, body: new URLSearchParams(params).toString() });
      assert.equal(res.status, 204, 'callback accepted by ' + target);
    }
    await waitFor(async () => {
      const { rows } = await a.db.query<{ n: string }>('SELECT count(*) AS n FROM messages WHERE sid = ANY($1) AND NOT body_pending', [sids]);
      return Number(rows[0]!.n) === sids.length;
    }, 'every text fetched', 20_000);
    const { rows } = await a.db.query<{ sid: string; body: string }>('SELECT sid, body FROM messages WHERE sid = ANY($1)', [sids]);
    assert.equal(rows.length, sids.length, 'one row per SID');
    for (const r of rows) assert.match(r.body, /^Mensaje \d+ desde la web$/);
    const fetches = a.local.requests().filter((r) => r.method === 'GET' && sids.some((sid) => r.path.endsWith(`/Messages/${sid}.json`)));
    assert.equal(fetches.length, sids.length, 'each message fetched exactly once');
    const { rows: jobs } = await a.db.query<{ n: string }>('SELECT count(*) AS n FROM jobs');
    assert.equal(Number(jobs[0]!.n), 0, 'no job left');
  });
});
