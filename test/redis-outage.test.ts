// Redis going away (cut, killed, stopped, down at start) must never end an instance: callbacks go
// on being recorded, each instance serves its own panels, /api/health says degraded, and once
// Redis is back events cross again and panels catch up on what the other instance wrote meanwhile.
// Instances run in this process (an unhandled rejection would end it: that is the point) and as a
// child process (its exit is observable); Redis is reached through a relay the test cuts, or is a
// redis-server of the test's own that it SIGKILLs, stops and starts again.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { createClient } from 'redis';
import { Server } from 'socket.io';
import twilio from 'twilio';
import type { ChangesDto } from '../src/contract/api.ts';
import { startChildServer, type ChildServer } from './support/child-server.ts';
import { databaseKinds, openTestDatabase } from './support/databases.ts';
import { ADMIN, freePort, hex, newSid, OUR_NUMBER, startSecondInstance, startTestInbox, statusParams, waitFor, type TestInbox } from './support/inbox.ts';
import { record } from './support/realtime.ts';
import { startTcpProxy } from './support/tcp-proxy.ts';
import type { Database } from '../src/db/database.ts';
import { connectRedisAdapter } from '../src/realtime/redis-adapter.ts';
import { startLocalTwilio, type LocalTwilio } from '../src/twilio/local/server.ts';

const REDIS = new URL(process.env.WA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
const skip = process.env.WA_SKIP_REDIS ? 'Redis not available' : !databaseKinds().includes('postgres') ? 'PostgreSQL not in this run' : false;
const CYCLES = 3;
// node-redis's command timeout is 5 s: a publish queued during an outage used to reject then.
const PAST_COMMAND_TIMEOUT_MS = 6_500;

/** A redis-server of this test's own on `port` (no persistence), which it may kill. */
async function startOwnRedis(port: number) {
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 10_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited:\n${out}`));
    });
  });
  child.stdout!.resume();
  return {
    /** SIGKILL: a crash. SIGTERM: Redis's graceful shutdown (it closes its clients' connections). */
    async stop(signal: 'SIGKILL' | 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
type OwnRedis = Awaited<ReturnType<typeof startOwnRedis>>;

/** Posts a signed callback the way Twilio signs it for `baseUrl` (what every instance is configured with). */
function signedPoster(serverUrl: string, baseUrl: string, authToken: string) {
  return (path: string, params: Record<string, string>) => fetch(serverUrl + path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(authToken, baseUrl + path, params) },
    body: new URLSearchParams(params).toString(),
  });
}
type Poster = ReturnType<typeof signedPoster>;

/**
 * A steady load of status callbacks (a new message each) on every poster, one at a time each,
 * until stopped. Remembers every SID answered 204, and every other answer or failure.
 */
function startCallbackLoad(posters: Poster[], pauseMs = 5) {
  const recorded: string[] = [];
  const refused: string[] = [];
  let running = true;
  const lanes = posters.map(async (post) => {
    while (running) {
      const sid = newSid();
      try {
        const res = await post('/api/whatsapp/status', statusParams(sid, 'sent'));
        if (res.status === 204) recorded.push(sid);
        else refused.push(`${sid}: ${res.status}`);
      } catch (err) {
        refused.push(`${sid}: ${String(err)}`);
      }
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  });
  return {
    recorded,
    refused,
    async stop() {
      running = false;
      await Promise.all(lanes);
    },
  };
}

/** A customer of its own, so that no other callback replaces its conversation's last message. */
const ownCustomer = () => `whatsapp:+5730${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

async function health(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url + '/api/health');
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function countRecorded(db: Database, sids: string[]): Promise<number> {
  const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM messages WHERE sid = ANY($1)', [sids]);
  return Number(rows[0]!.n);
}

/** Everything /api/changes has after `after`, every page, as the panel reads it. */
async function changesAfter(url: string, cookie: string, after: number): Promise<ChangesDto['messages']> {
  const messages: ChangesDto['messages'] = [];
  for (;;) {
    const res = await fetch(`${url}/api/changes?after=${after}`, { headers: { cookie } });
    assert.equal(res.status, 200);
    const page = (await res.json()) as ChangesDto;
    messages.push(...page.messages);
    if (!page.more) return messages;
    after = page.seq;
  }
}

describe('Redis going away and coming back, two instances under load', { skip }, () => {
  const outages: { name: string; setup(): Promise<{ url: string; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> }[] = [
    {
      // Cutting the relay destroys both ends of every connection, as a crash does to the clients.
      name: 'relay to the shared Redis cut',
      async setup() {
        const proxy = await startTcpProxy({ host: REDIS.hostname, port: Number(REDIS.port || 6379) });
        return { url: `redis://127.0.0.1:${proxy.port}`, cut: async () => proxy.cut(), restore: async () => proxy.restore(), close: () => proxy.close() };
      },
    },
    {
      name: 'own redis-server killed (SIGKILL) and started again',
      async setup() {
        const port = await freePort();
        let redis: OwnRedis | null = await startOwnRedis(port);
        return {
          url: `redis://127.0.0.1:${port}`,
          cut: async () => { await redis?.stop('SIGKILL'); redis = null; },
          restore: async () => { redis = await startOwnRedis(port); },
          close: async () => { await redis?.stop('SIGKILL'); },
        };
      },
    },
  ];

  for (const outage of outages) {
    test(`${outage.name}, ${CYCLES} times: no exit, no callback lost, and A's panel gets what B wrote meanwhile`, async () => {
      const redis = await outage.setup();
      // A key of this test's own: other tests' instances on the shared Redis hear nothing of these.
      const redisKey = `wa-outage-${hex(4)}`;
      let a: TestInbox | null = null;
      let b: Awaited<ReturnType<typeof startSecondInstance>> | null = null;
      try {
        a = await startTestInbox({ kind: 'postgres', startWorkers: false, redisUrl: redis.url, redisKey });
        b = await startSecondInstance(a, redis.url, { redisKey });
        const viaA = signedPoster(a.baseUrl, a.baseUrl, a.authToken);
        const viaB = signedPoster(b.url, a.baseUrl, a.authToken);
        const cookie = await a.loginCookie();
        const panel = await a.connectSocket(cookie);
        const onA = record(panel);
        let resyncs = 0;
        panel.on('sync:resync', () => resyncs++);

        const load = startCallbackLoad([viaA, viaB]);
        try {
          for (let cycle = 0; cycle < CYCLES; cycle++) {
            const { rows } = await a.db.query<{ seq: string }>('SELECT coalesce(max(seq), 0) AS seq FROM messages');
            const seqBefore = Number(rows[0]!.seq);
            const resyncsBefore = resyncs;

            await redis.cut();
            await waitFor(async () => (await health(a!.baseUrl)).body.redis === 'down', 'A to see the outage');
            const down = await health(a.baseUrl);
            assert.deepEqual([down.status, down.body.status], [200, 'degraded'], `cycle ${cycle}: degraded, still 200`);
            // Written through B while the instances cannot tell each other.
            const duringOutage: string[] = [];
            for (let i = 0; i < 5; i++) {
              const sid = newSid();
              assert.equal((await viaB('/api/whatsapp/status', statusParams(sid, 'sent'))).status, 204);
              duringOutage.push(sid);
            }
            // A still serves its own panel.
            const own = newSid();
            assert.equal((await viaA('/api/whatsapp/status', statusParams(own, 'sent', { to: ownCustomer() }))).status, 204);
            await waitFor(() => onA.conversationOf(own) !== undefined, `cycle ${cycle}: A's own event on A's panel during the outage`);
            await new Promise((r) => setTimeout(r, 500));

            await redis.restore();
            await waitFor(() => resyncs > resyncsBefore, `cycle ${cycle}: sync:resync on A's panel once Redis is back`, 20_000);
            // What the panel then asks for, as web/src/inbox/useRealtime.ts does after the resync.
            const changes: ChangesDto['messages'] = await changesAfter(a.baseUrl, cookie, seqBefore);
            const caughtUp = new Set(changes.map((m) => m.sid));
            assert.deepEqual(duringOutage.filter((sid) => !caughtUp.has(sid)), [], `cycle ${cycle}: every message written through B is in A's catch-up`);
            // And events cross again without a restart.
            await waitFor(async () => {
              const probe = newSid();
              await viaB('/api/whatsapp/status', statusParams(probe, 'sent', { to: ownCustomer() }));
              await new Promise((r) => setTimeout(r, 200));
              return onA.conversationOf(probe) !== undefined;
            }, `cycle ${cycle}: events from B reaching A's panel again`, 20_000);
            // Each instance's subscriber reconnects on its own back-off, possibly a beat after its publisher.
            for (const url of [a.baseUrl, b.url]) {
              await waitFor(async () => (await health(url)).body.status === 'ok', `cycle ${cycle}: ${url === b.url ? 'B' : 'A'} healthy again`, 20_000);
            }
          }
        } finally {
          await load.stop();
        }
        assert.deepEqual(load.refused, [], 'every callback was answered 204');
        assert.ok(load.recorded.length > 50, `a steady load (${load.recorded.length} callbacks)`);
        assert.equal(await countRecorded(a.db, load.recorded), load.recorded.length, 'every callback answered 204 has its row');
      } finally {
        await b?.close();
        await a?.close();
        await redis.close();
      }
    });
  }
});

describe('Redis down at start, killed under load, stopped gracefully, and one idle callback past the command timeout (the real server, a child process)', { skip }, () => {
  const accountSid = 'AC' + hex(16);
  const authToken = hex(16);
  let local: LocalTwilio;
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let server: ChildServer | null = null;
  let redis: OwnRedis | null = null;

  before(async () => {
    local = await startLocalTwilio({ accountSid, authToken, whatsappFrom: OUR_NUMBER, enforceWindow: false, lifecycle: { statuses: ['sent'], delayMs: 10 } });
    database = await openTestDatabase('postgres', { poolSize: 2 });
  });
  after(async () => {
    await server?.kill('SIGKILL');
    await redis?.stop('SIGKILL');
    await local?.close();
    await database?.close();
  });

  test('the instance never exits, logs each outage once and its end once, and records every callback', async () => {
    const port = await freePort();
    const redisPort = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    // Nothing listens on redisPort yet: the server must start and serve anyway.
    server = await startChildServer({
      PORT: String(port), HOST: '127.0.0.1', BASE_URL: baseUrl, DATABASE_URL: database.url!, REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken, TWILIO_WHATSAPP_FROM: OUR_NUMBER, TWILIO_API_URL: local.url,
      ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, SESSION_SECRET: 'a-test-secret-of-enough-length',
      RECONCILE_INTERVAL: '0', LOG_LEVEL: 'info',
    });
    const child = server;
    const post = signedPoster(baseUrl, baseUrl, authToken);
    const alive = () => assert.ok(child.running(), `the server exited:\n${child.output()}`);
    const redisIs = (state: string) => waitFor(async () => (await health(baseUrl)).body.redis === state, `Redis ${state} in /api/health`, 20_000);

    assert.deepEqual((await health(baseUrl)), { status: 200, body: { ok: true, status: 'degraded', redis: 'down' } }, 'started without Redis');
    assert.equal((await post('/api/whatsapp/status', statusParams(newSid(), 'sent'))).status, 204, 'and records callbacks');

    redis = await startOwnRedis(redisPort);
    await redisIs('up');
    assert.deepEqual((await health(baseUrl)).body, { ok: true, status: 'ok', redis: 'up' });

    const load = startCallbackLoad([post]);
    try {
      // Killed under load.
      await new Promise((r) => setTimeout(r, 300));
      await redis.stop('SIGKILL');
      await redisIs('down');
      await new Promise((r) => setTimeout(r, 1_000));
      alive();
      redis = await startOwnRedis(redisPort);
      await redisIs('up');
      // Stopped gracefully (Redis closes its clients' connections), under load.
      await new Promise((r) => setTimeout(r, 300));
      await redis.stop('SIGTERM');
      await redisIs('down');
    } finally {
      await load.stop();
    }
    // Idle: one callback during the outage, then past node-redis's command timeout.
    const idle = newSid();
    assert.equal((await post('/api/whatsapp/status', statusParams(idle, 'sent'))).status, 204);
    await new Promise((r) => setTimeout(r, PAST_COMMAND_TIMEOUT_MS));
    alive();
    assert.equal((await health(baseUrl)).body.status, 'degraded');
    redis = await startOwnRedis(redisPort);
    await redisIs('up');
    alive();

    assert.deepEqual(load.refused, [], 'every callback was answered 204');
    const recorded = [...load.recorded, idle];
    assert.equal(await countRecorded(database.db, recorded), recorded.length, 'every callback answered 204 has its row');
    const lines = child.output().split('\n');
    const count = (text: string) => lines.filter((l) => l.includes(text)).length;
    assert.equal(count('Redis is unreachable'), 3, 'each of the 3 outages logged once (down at start, killed, stopped)');
    assert.equal(count('Redis is back'), 3, 'and each end once');
    assert.equal(count('unhandled promise rejection'), 0);

    const exit = await child.stop();
    assert.deepEqual(exit, { code: 0, signal: null }, `a clean shutdown:\n${child.output()}`);
  });
});

describe('publishing while Redis is down', { skip }, () => {
  test('is dropped at once, not held in memory and sent when Redis returns', async () => {
    const port = await freePort();
    const key = `wa-outage-${hex(4)}`;
    const redis = connectRedisAdapter(`redis://127.0.0.1:${port}`, { key });
    const io = new Server();
    let own: OwnRedis | null = null;
    const listener = createClient({ url: `redis://127.0.0.1:${port}` });
    try {
      io.adapter(redis.adapter);
      await waitFor(() => redis.link.state === 'down' && redis.droppedPublishes() === 0, 'the first failed connection');
      const payload = 'x'.repeat(10_000);
      for (let i = 0; i < 5_000; i++) io.to('inbox').emit('list:updated', payload);
      assert.equal(redis.droppedPublishes(), 5_000, 'each dropped at once');

      own = await startOwnRedis(port);
      await listener.connect();
      const heard: string[] = [];
      await listener.pSubscribe(`${key}#*`, (_message, channel) => heard.push(channel));
      await waitFor(() => redis.link.state === 'up', 'the link', 20_000);
      // Had they been queued, they would go out now.
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(heard.length, 0, 'none of them sent once Redis is back');
      io.to('inbox').emit('list:updated', 'after');
      await waitFor(() => heard.length === 1, 'a publish made once Redis is back');
    } finally {
      await io.of('/').adapter.close();
      await listener.close().catch(() => {});
      await redis.close();
      await own?.stop('SIGKILL');
    }
  });
});
