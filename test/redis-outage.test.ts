import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { io as connectClient, type Socket } from 'socket.io-client';
import { databaseKinds } from './support/databases.ts';
import { newSid, startSecondInstance, startTestInbox, statusParams, waitFor, type TestInbox } from './support/inbox.ts';
import { record } from './support/realtime.ts';
import { startTcpProxy } from './support/tcp-proxy.ts';

const REDIS = new URL(process.env.WA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
const skip = process.env.WA_SKIP_REDIS ? 'Redis not available' : !databaseKinds().includes('postgres') ? 'PostgreSQL not in this run' : false;

// Redis reached through a relay the test can cut, so the shared Redis itself keeps running.
describe('Redis going away and coming back', { skip }, () => {
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let a: TestInbox;
  let b: Awaited<ReturnType<typeof startSecondInstance>>;
  let bUrl: string;
  const sockets: Socket[] = [];

  before(async () => {
    proxy = await startTcpProxy({ host: REDIS.hostname, port: Number(REDIS.port || 6379) });
    const redisUrl = `redis://127.0.0.1:${proxy.port}`;
    a = await startTestInbox({ kind: 'postgres', startWorkers: false, redisUrl });
    b = await startSecondInstance(a, redisUrl);
    bUrl = b.url;
  });
  after(async () => {
    sockets.forEach((s) => s.close());
    await b.close();
    await a.close();
    await proxy.close();
  });

  async function listen(url: string, cookie: string) {
    const socket = connectClient(url, { transports: ['websocket'], extraHeaders: { cookie }, reconnection: false, forceNew: true });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
    const panel = record(socket);
    return panel;
  }

  test('each instance keeps serving its own browsers while Redis is down; events cross again when it is back, with no restart', async () => {
    const cookie = await a.loginCookie();
    const onA = await listen(a.baseUrl, cookie);
    const onB = await listen(bUrl, cookie);

    proxy.cut();
    const during = newSid();
    assert.equal((await a.postSigned('/api/whatsapp/status', statusParams(during, 'sent'))).status, 204, 'callbacks are still recorded');
    await waitFor(() => onA.conversationOf(during) !== undefined, 'the event on A, from A');

    proxy.restore();
    // The Redis clients reconnect by themselves (backoff up to 5 s); then events cross again.
    await waitFor(async () => {
      const probe = newSid();
      await a.postSigned('/api/whatsapp/status', statusParams(probe, 'sent'));
      await new Promise((r) => setTimeout(r, 200));
      return onB.conversationOf(probe) !== undefined;
    }, 'events from A reaching B again', 20_000);
  });
});
