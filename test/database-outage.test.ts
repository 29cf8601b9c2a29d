import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildApp, type App } from '../src/app.ts';
import { loadConfig } from '../src/config/env.ts';
import { connectPostgres, type Database } from '../src/db/database.ts';
import { createTwilioGateway } from '../src/twilio/gateway.ts';
import { databaseKinds, openTestDatabase } from './support/databases.ts';
import { freePort, hex, newSid, statusParams } from './support/inbox.ts';
import { startTcpProxy } from './support/tcp-proxy.ts';
import twilio from 'twilio';

// PostgreSQL only: PGlite lives in the process and cannot go away on its own.
describe('database outage (postgres)', { skip: !databaseKinds().includes('postgres') && 'PostgreSQL not in this run' }, () => {
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let db: Database;
  let built: App;
  let baseUrl: string;
  const authToken = hex(16);

  before(async () => {
    database = await openTestDatabase('postgres');
    const url = new URL(database.url!);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.host = `127.0.0.1:${proxy.port}`;
    db = connectPostgres(url.toString(), { max: 4 });
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      BASE_URL: baseUrl, TWILIO_ACCOUNT_SID: 'AC' + hex(16), TWILIO_AUTH_TOKEN: authToken, TWILIO_WHATSAPP_FROM: 'whatsapp:+14155238886',
      TWILIO_API_URL: 'http://127.0.0.1:9', LOG_LEVEL: 'silent',
    });
    built = await buildApp({ config, twilioConfig: config.twilio!, db, twilio: createTwilioGateway(config.twilio!), startWorkers: false });
    await built.app.listen({ port, host: '127.0.0.1' });
  });
  after(async () => {
    await built.app.close();
    await db.close();
    await proxy.close();
    await database.close();
  });

  const post = (sid: string, status: string) => {
    const params = statusParams(sid, status);
    return fetch(baseUrl + '/api/whatsapp/status', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(authToken, baseUrl + '/api/whatsapp/status', params) },
      body: new URLSearchParams(params).toString(),
    });
  };

  test('callbacks answer 503 while PostgreSQL is unreachable, never 200, and are stored once it is back', async () => {
    const sid = newSid();
    assert.equal((await post(sid, 'sent')).status, 204);
    proxy.cut();
    const down = await post(sid, 'delivered');
    assert.equal(down.status, 503);
    assert.equal(down.headers.get('retry-after'), '5');
    const other = newSid();
    assert.equal((await post(other, 'sent')).status, 503);
    assert.equal((await fetch(baseUrl + '/api/health')).status, 503);
    proxy.restore();
    // Twilio's retry (or reconciliation) brings the same callbacks again.
    assert.equal((await post(sid, 'delivered')).status, 204);
    assert.equal((await post(other, 'sent')).status, 204);
    const { rows } = await database.db.query<{ sid: string; status: string }>('SELECT sid, status FROM messages ORDER BY sid');
    assert.deepEqual(rows.map((r) => [r.sid, r.status]).sort(), [[sid, 'delivered'], [other, 'sent']].sort());
  });
});
