// The production box's front door, end to end: the real server (src/server.ts, a child process)
// behind nginx running the shipped deploy/nginx.conf (only its ports, addresses and certificate
// swapped), over https with a self-signed certificate that only this test trusts. Clients leave
// from different loopback addresses (127.0.0.2, 127.0.0.3) so that the app can tell them apart
// only through the X-Forwarded-For nginx sets.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { io as connectClient, type Socket } from 'socket.io-client';
import twilio from 'twilio';
import type { ClientToServerEvents, ConversationDto, ListUpdateDto, ServerToClientEvents } from '../src/contract/api.ts';
import { connectPostgres, type Database } from '../src/db/database.ts';
import { startLocalTwilio, type LocalTwilio } from '../src/twilio/local/server.ts';
import { startChildServer, type ChildServer } from './support/child-server.ts';
import { databaseKinds, openTestDatabase } from './support/databases.ts';
import { httpsRequest } from './support/https-client.ts';
import { ADMIN, freePort, hex, newSid, OUR_NUMBER, statusParams } from './support/inbox.ts';
import { startNginxProxy, type NginxProxy } from './support/nginx-proxy.ts';

const skip = process.env.WA_SKIP_NGINX ? 'no nginx or openssl here (apt-get install nginx-light openssl)' : false;

for (const kind of databaseKinds()) {
  describe(`behind nginx with TLS, as deploy/nginx.conf ships (${kind})`, { skip }, () => {
    let local: LocalTwilio;
    let server: ChildServer;
    let proxy: NginxProxy;
    let database: { url: string | null; close(): Promise<void> } | null = null;
    let postgres: Database | null = null;
    let dataDir: string | null = null;
    const authToken = hex(16);
    const accountSid = 'AC' + hex(16);
    const sockets: Socket[] = [];

    before(async () => {
      const [appPort, tlsPort, httpPort] = [await freePort(), await freePort(), await freePort()];
      const publicUrl = `https://127.0.0.1:${tlsPort}`;
      local = await startLocalTwilio({
        accountSid, authToken, port: 0, whatsappFrom: OUR_NUMBER,
        statusCallbackUrl: `${publicUrl}/api/whatsapp/status`, inboundUrl: `${publicUrl}/api/whatsapp/incoming`,
      });
      if (kind === 'postgres') {
        database = await openTestDatabase('postgres');
        postgres = connectPostgres(database.url!, { max: 1 });
      } else {
        dataDir = mkdtempSync(join(tmpdir(), 'wa-proxy-data-'));
      }
      // As /etc/wa-inbox/env says behind nginx (deploy/nginx.conf's header).
      server = await startChildServer({
        PORT: String(appPort), HOST: '127.0.0.1', BASE_URL: publicUrl, TRUST_PROXY: '127.0.0.1',
        ...(database ? { DATABASE_URL: database.url! } : { DATA_DIR: dataDir! }),
        TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken, TWILIO_WHATSAPP_FROM: OUR_NUMBER, TWILIO_API_URL: local.url,
        ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, RECONCILE_INTERVAL: '0', LOG_LEVEL: 'info',
      });
      proxy = await startNginxProxy({ appPort, tlsPort, httpPort });
    });

    after(async () => {
      sockets.forEach((s) => s.close());
      await proxy?.stop();
      await server?.stop();
      await local?.close();
      await postgres?.close();
      await database?.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    const get = (path: string, headers: Record<string, string> = {}) => httpsRequest(proxy.url + path, { ca: proxy.certificate, headers });

    /** A callback as Twilio sends it: signed over the URL it calls, `signedUrl` (the public one unless told). */
    const postCallback = (path: string, params: Record<string, string>, signedUrl = proxy.url + path) =>
      httpsRequest(proxy.url + path, {
        ca: proxy.certificate, method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(authToken, signedUrl, params) },
        body: new URLSearchParams(params).toString(),
      });

    const login = (o: { email?: string; password?: string; from?: string; forwardedFor?: string } = {}) =>
      httpsRequest(proxy.url + '/api/auth/login', {
        ca: proxy.certificate, method: 'POST', localAddress: o.from,
        headers: { 'content-type': 'application/json', origin: proxy.url, ...(o.forwardedFor ? { 'x-forwarded-for': o.forwardedFor } : {}) },
        body: JSON.stringify({ email: o.email ?? ADMIN.email, password: o.password ?? ADMIN.password }),
      });

    async function sessionCookie(): Promise<string> {
      const res = await login();
      assert.equal(res.status, 200, res.body);
      return (res.headers['set-cookie'] as string[]).map((c) => c.split(';')[0]).join('; ');
    }

    /** A Socket.IO client through the proxy on one transport only, trusting only the test's certificate. */
    async function connectSocket(transport: 'websocket' | 'polling', cookie: string) {
      const socket: Socket<ServerToClientEvents, ClientToServerEvents> = connectClient(proxy.url, {
        transports: [transport], upgrade: false, extraHeaders: { cookie }, ca: proxy.certificate, reconnection: false, forceNew: true,
      });
      sockets.push(socket);
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', (err) => reject(err));
      });
      return socket;
    }

    /** Resolves with the first list update that carries `phone`'s conversation. */
    const listUpdateFor = (socket: Socket<ServerToClientEvents, ClientToServerEvents>, phone: string) =>
      new Promise<ListUpdateDto>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no list:updated for ${phone} within 10 s`)), 10_000);
        socket.on('list:updated', (update) => {
          if (update.conversations.some((c) => c.contact.phone === phone)) {
            clearTimeout(timer);
            resolve(update);
          }
        });
      });

    test('health answers through the proxy, the webhook URL answers GET with 405, plain http redirects to https', async () => {
      const health = await get('/api/health');
      assert.equal(health.status, 200);
      assert.deepEqual(health.json(), { ok: true, status: 'ok', redis: 'off' });
      const status = await get('/api/whatsapp/status');
      assert.equal(status.status, 405, 'what `curl -i BASE_URL/api/whatsapp/status` must show operators');
      assert.equal(status.headers.allow, 'POST');
      assert.match(String(status.headers['strict-transport-security']), /max-age=/, 'BASE_URL is https: HSTS');
      const redirect = await fetch(proxy.httpUrl + '/api/health', { redirect: 'manual' });
      assert.equal(redirect.status, 301);
      assert.match(redirect.headers.get('location') ?? '', /^https:\/\/127\.0\.0\.1(:\d+)?\/api\/health$/);
    });

    test('a status callback signed for the public https URL is accepted (204) and recorded; one signed for the app\'s own http address is refused', async () => {
      const sid = newSid();
      const phone = '+5731' + String(Date.now()).slice(-8);
      const path = `/api/whatsapp/status?probe=${hex(4)}`;
      const params = statusParams(sid, 'delivered', { to: `whatsapp:${phone}`, accountSid });
      // The URL behind the proxy is not the one Twilio signs: BASE_URL must be the public origin.
      const internal = await postCallback(path, params, `${server.url}${path}`);
      assert.equal(internal.status, 403, internal.body);
      const res = await postCallback(path, params);
      assert.equal(res.status, 204, res.body);

      const cookie = await sessionCookie();
      const list = (await get(`/api/conversations?q=${encodeURIComponent(phone)}`, { cookie })).json<{ items: ConversationDto[] }>();
      const conversation = list.items.find((c) => c.contact.phone === phone);
      assert.equal(conversation?.lastMessage?.sid, sid);
      assert.equal(conversation?.lastMessage?.status, 'delivered');
      if (postgres) {
        const { rows } = await postgres.query<{ source: string; status: string }>('SELECT source, status FROM messages WHERE sid = $1', [sid]);
        assert.deepEqual(rows, [{ source: 'external', status: 'delivered' }]);
      }
    });

    test('a 6 MB file sent from the panel passes nginx (its own location lets 16 MB through) and reaches the app', async () => {
      const res = await login();
      const cookie = (res.headers['set-cookie'] as string[]).map((c) => c.split(';')[0]).join('; ');
      const { csrfToken } = res.json<{ csrfToken: string }>();
      const boundary = 'b' + hex(8);
      const body = Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="grande.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n`),
        Buffer.alloc(6 * 1024 * 1024, 0x20),
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      // A conversation that does not exist: the app reads the whole file, then answers its own JSON 404.
      const answer = await httpsRequest(`${proxy.url}/api/conversations/00000000-0000-4000-8000-000000000000/messages`, {
        ca: proxy.certificate, method: 'POST', body,
        headers: { cookie, 'x-csrf-token': csrfToken, origin: proxy.url, 'content-type': `multipart/form-data; boundary=${boundary}` },
      });
      assert.equal(answer.status, 404, answer.body.slice(0, 200));
      assert.equal(answer.json<{ error: { code: string } }>().error.code, 'not_found');
    });

    test('login works through the proxy and its session cookie is Secure', async () => {
      const res = await login();
      assert.equal(res.status, 200, res.body);
      const cookies = res.headers['set-cookie'] as string[];
      assert.ok(cookies.length > 0, 'a session cookie is set');
      for (const c of cookies) assert.match(c, /;\s*Secure/i, c);
      const me = await get('/api/auth/me', { cookie: cookies.map((c) => c.split(';')[0]).join('; ') });
      assert.equal(me.status, 200, me.body);
    });

    for (const transport of ['websocket', 'polling'] as const) {
      test(`Socket.IO over ${transport === 'websocket' ? 'wss' : 'https long-polling'} through the proxy: connects with the cookie and receives an event`, async () => {
        const socket = await connectSocket(transport, await sessionCookie());
        assert.equal(socket.io.engine.transport.name, transport);
        const phone = '+5732' + String(Date.now()).slice(-8);
        const update = listUpdateFor(socket, phone);
        const res = await postCallback('/api/whatsapp/status', statusParams(newSid(), 'sent', { to: `whatsapp:${phone}`, accountSid }));
        assert.equal(res.status, 204, res.body);
        await update;
        assert.equal(socket.io.engine.transport.name, transport, 'no upgrade or fallback happened');
        socket.close();
      });
    }

    test('without a session cookie, no socket through the proxy', async () => {
      await assert.rejects(connectSocket('websocket', ''), /unauthenticated/);
    });

    test('the login limit counts the client address nginx forwards, not nginx\'s own, and not one the client writes', async () => {
      // Ten failures (each on another account, so no account lock) spend 127.0.0.2's budget.
      for (let i = 0; i < 10; i++) {
        const res = await login({ from: '127.0.0.2', email: `nadie${i}@clinica.test`, password: 'wrong-password' });
        assert.equal(res.status, 401, res.body);
      }
      assert.equal((await login({ from: '127.0.0.2', email: 'otra@clinica.test', password: 'wrong-password' })).status, 429);
      assert.equal((await login({ from: '127.0.0.2' })).status, 429, 'the address is refused even with the right password');
      // A header the client writes is replaced by nginx: it cannot buy a new budget.
      assert.equal((await login({ from: '127.0.0.2', forwardedFor: '203.0.113.9' })).status, 429);
      // Another client, through the same nginx (the app's peer is 127.0.0.1 for both), is not refused.
      assert.equal((await login({ from: '127.0.0.3', email: 'nadie@clinica.test', password: 'wrong-password' })).status, 401);
      assert.equal((await login({ from: '127.0.0.3' })).status, 200);
      // And the app's log names the client, not the proxy.
      assert.match(server.output(), /"remoteAddress":"127\.0\.0\.3"/);
      if (postgres) {
        // What is counted, by address (a successful login gives its attempt back).
        const { rows } = await postgres.query<{ address: string; failures: number }>('SELECT address, failures FROM login_address_failures WHERE failures > 0 ORDER BY address');
        assert.deepEqual(rows, [{ address: '127.0.0.2', failures: 10 }, { address: '127.0.0.3', failures: 1 }]);
      }
    });

    test('nginx ran the configuration without a warning or an error', () => {
      assert.doesNotMatch(proxy.errorLog(), /\[(warn|error|crit|alert|emerg)\]/, proxy.errorLog());
    });
  });
}
