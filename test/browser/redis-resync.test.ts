// A panel that stayed connected to its instance while Redis was down missed what the other
// instance wrote meanwhile; once Redis is back the server says `sync:resync` and the panel catches
// up, with no reload and no reconnect of its own.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import twilio from 'twilio';
import { databaseKinds } from '../support/databases.ts';
import { ADMIN, hex, newSid, OUR_NUMBER, startSecondInstance, startTestInbox, waitFor, type TestInbox } from '../support/inbox.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { conversationItem, launchChromium, logIn } from './browser.ts';

const REDIS = new URL(process.env.WA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
const skip = process.env.WA_SKIP_BROWSER ? 'no Chromium here'
  : process.env.WA_SKIP_REDIS ? 'Redis not available'
  : !databaseKinds().includes('postgres') ? 'PostgreSQL not in this run' : false;
const CARLOS = 'whatsapp:+573001112233';

describe('the panel after a Redis outage, in Chromium', { skip, timeout: 120_000 }, () => {
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let a: TestInbox;
  let b: Awaited<ReturnType<typeof startSecondInstance>>;
  let browser: Browser;
  let page: Page;

  before(async () => {
    proxy = await startTcpProxy({ host: REDIS.hostname, port: Number(REDIS.port || 6379) });
    const redisUrl = `redis://127.0.0.1:${proxy.port}`;
    const redisKey = `wa-resync-${hex(4)}`;
    a = await startTestInbox({ kind: 'postgres', startWorkers: false, redisUrl, redisKey });
    b = await startSecondInstance(a, redisUrl, { redisKey });
    await a.local.simulateInbound({ from: CARLOS, body: 'Hola, soy Carlos', profileName: 'Carlos Pérez' });
    browser = await launchChromium();
    page = await browser.newPage({ locale: 'es-CO', viewport: { width: 1280, height: 800 } });
    await logIn(page, a.baseUrl, ADMIN.email, ADMIN.password);
    await conversationItem(page, 'Carlos Pérez').click();
    await page.getByTestId('message-bubble').filter({ hasText: 'Hola, soy Carlos' }).waitFor();
  });
  after(async () => {
    await browser?.close();
    await b?.close();
    await a?.close();
    await proxy?.close();
  });

  test('a customer message recorded by instance B during the outage appears in the open chat on A once Redis is back', async () => {
    proxy.cut();
    await waitFor(async () => ((await (await fetch(a.baseUrl + '/api/health')).json()) as { redis: string }).redis === 'down', 'A to see the outage');

    // Twilio's webhook reaches instance B (signed for BASE_URL, which both share).
    const text = 'Escribo mientras Redis está caído';
    const sid = newSid();
    const params = {
      MessageSid: sid, SmsMessageSid: sid, SmsSid: sid, AccountSid: a.accountSid, From: CARLOS, To: OUR_NUMBER,
      Body: text, NumMedia: '0', ProfileName: 'Carlos Pérez', WaId: CARLOS.replace('whatsapp:+', ''),
      SmsStatus: 'received', MessageType: 'text', ApiVersion: '2010-04-01',
    };
    const res = await fetch(b.url + '/api/whatsapp/incoming', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(a.authToken, a.baseUrl + '/api/whatsapp/incoming', params) },
      body: new URLSearchParams(params).toString(),
    });
    assert.ok(res.ok, `B recorded it (${res.status})`);
    const bubble = page.getByTestId('message-bubble').filter({ hasText: text });
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(await bubble.count(), 0, 'not on A\'s panel while the instances cannot tell each other');

    proxy.restore();
    await bubble.waitFor({ timeout: 20_000 });
    assert.equal(await page.getByTestId('connection-banner').count(), 0, 'the panel never lost its own connection');
  });
});
