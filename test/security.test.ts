import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildApp, type App } from '../src/app.ts';
import { loadConfig } from '../src/config/env.ts';
import type { Database } from '../src/db/database.ts';
import type { ApiError, ConversationDto, SessionDto } from '../src/contract/api.ts';
import twilio from 'twilio';
import { createTwilioGateway } from '../src/twilio/gateway.ts';
import { databaseKinds } from './support/databases.ts';
import { ADMIN, hex, newSid, OUR_NUMBER, startTestInbox, statusParams, type TestInbox, type TestSession } from './support/inbox.ts';

const CUSTOMER = '+573153369631';
const EVIL = 'https://evil.example';

// Each login from its own address (believed only behind the trusted proxy below; without TRUST_PROXY
// the header is ignored, and only failed logins count toward the login limit anyway).
let address = 0;
const clientAddress = () => `198.51.100.${++address}`;

/** Another server on the same database, driven by inject (no port): a restart, or a second instance. */
async function buildInstance(inbox: TestInbox, db: Database, env: Record<string, string>): Promise<App> {
  const config = loadConfig({
    BASE_URL: inbox.baseUrl, TWILIO_ACCOUNT_SID: inbox.accountSid, TWILIO_AUTH_TOKEN: inbox.authToken, TWILIO_WHATSAPP_FROM: OUR_NUMBER,
    TWILIO_API_URL: inbox.local.url, LOG_LEVEL: 'silent', RECONCILE_INTERVAL: '0', ...env,
  });
  const built = await buildApp({ config, twilioConfig: config.twilio!, db, twilio: createTwilioGateway(config.twilio!), startWorkers: false });
  await built.app.ready();
  return built;
}

for (const kind of databaseKinds()) {
  describe(`CSRF, cross-site requests and security headers (${kind})`, () => {
    let inbox: TestInbox;
    let admin: TestSession;
    let conversation: ConversationDto;
    before(async () => {
      inbox = await startTestInbox({ kind, startWorkers: false });
      admin = await inbox.login();
      assert.equal((await inbox.local.simulateInbound({ from: `whatsapp:${CUSTOMER}`, body: 'Hola', profileName: 'Ana' })).status, 200);
      const list = (await (await fetch(`${inbox.baseUrl}/api/conversations`, { headers: { cookie: admin.cookie } })).json()) as { items: ConversationDto[] };
      conversation = list.items.find((c) => c.contact.phone === CUSTOMER)!;
      assert.ok(conversation, 'the customer wrote, so there is a conversation with an open window');
    });
    after(() => inbox.close());

    const call = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
      fetch(inbox.baseUrl + path, {
        method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body),
      });
    const login = (headers: Record<string, string> = {}, email = ADMIN.email, password = ADMIN.password) =>
      call('POST', '/api/auth/login', { 'x-forwarded-for': clientAddress(), ...headers }, { email, password });
    const codeOf = async (res: Response) => ((await res.json()) as ApiError).error.code;

    /** What any of the writes below would change, read from the database. */
    const snapshot = async () => {
      const count = async (sql: string, params: unknown[] = []) => Number((await inbox.db.query<{ n: string }>(sql, params)).rows[0]!.n);
      return {
        outbound: await count("SELECT count(*) AS n FROM messages WHERE direction = 'outbound'"),
        users: await count('SELECT count(*) AS n FROM users'),
        contacts: await count('SELECT count(*) AS n FROM contacts'),
        audit: await count('SELECT count(*) AS n FROM audit_log'),
        unread: (await inbox.db.query<{ unread_count: number }>('SELECT unread_count FROM conversations WHERE id = $1', [conversation.id])).rows[0]!.unread_count,
        adminName: (await inbox.db.query<{ name: string }>('SELECT name FROM users WHERE email = $1', [ADMIN.email])).rows[0]!.name,
        settings: JSON.stringify((await inbox.db.query('SELECT key, value FROM settings ORDER BY key')).rows),
      };
    };
    const adminId = async () => (await inbox.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [ADMIN.email])).rows[0]!.id;
    const templateSid = async () => ((await (await fetch(`${inbox.baseUrl}/api/templates`, { headers: admin.headers })).json()) as { items: { sid: string }[] }).items[0]!.sid;
    /** One write of each kind the panel makes: send, mark read, create and change a user, save a setting, start a chat. */
    const writes = async (): Promise<[string, string, unknown][]> => [
      ['POST', `/api/conversations/${conversation.id}/messages`, { body: 'Mensaje falsificado' }],
      ['POST', `/api/conversations/${conversation.id}/read`, {}],
      ['POST', '/api/users', { email: `intruso-${hex(3)}@clinica.test`, name: 'Intruso', password: 'intruso-12345', role: 'admin' }],
      ['PATCH', `/api/users/${await adminId()}`, { name: 'Renombrado' }],
      ['PUT', '/api/settings', { externalRaisesConversation: false }],
      ['POST', '/api/conversations', { phone: '300 555 0199', contentSid: await templateSid(), contentVariables: { 1: 'a', 2: 'b', 3: 'c' } }],
    ];

    test('login and /api/auth/me hand the panel its CSRF token; each session has its own', async () => {
      const me = (await (await fetch(`${inbox.baseUrl}/api/auth/me`, { headers: { cookie: admin.cookie } })).json()) as SessionDto;
      assert.equal(me.csrfToken, admin.csrfToken);
      assert.match(admin.csrfToken, /^[A-Za-z0-9_-]{43}$/);
      const other = await inbox.login();
      assert.notEqual(other.csrfToken, admin.csrfToken);
      assert.ok(!admin.cookie.includes(admin.csrfToken), 'the token is not the cookie or its signature');
    });

    test('a cookie write without the token, with a wrong one or with another session\'s is refused (403 csrf) and changes nothing', async () => {
      const other = await inbox.login();
      const before = await snapshot();
      const atTwilio = inbox.local.messages().length;
      assert.equal(before.unread, 1, 'the customer\'s message is unread');
      const forged: [string, Record<string, string>][] = [
        ['no token', { cookie: admin.cookie }],
        ['an empty token', { cookie: admin.cookie, 'x-csrf-token': '' }],
        ['a wrong token', { cookie: admin.cookie, 'x-csrf-token': 'x'.repeat(admin.csrfToken.length) }],
        ['another session\'s token', { cookie: admin.cookie, 'x-csrf-token': other.csrfToken }],
        ['the token in the query instead of the header', { cookie: admin.cookie }],
      ];
      for (const [what, headers] of forged) {
        for (const [method, path, body] of await writes()) {
          const url = what.includes('query') ? `${path}?csrfToken=${encodeURIComponent(admin.csrfToken)}` : path;
          const res = await call(method, url, headers, body);
          assert.equal(res.status, 403, `${what}: ${method} ${path} answered ${res.status}`);
          const error = ((await res.json()) as ApiError).error;
          assert.equal(error.code, 'csrf', `${what}: ${method} ${path}`);
          assert.ok(error.message && error.messageEs, 'the refusal is explained in English and Spanish');
        }
      }
      assert.deepEqual(await snapshot(), before, 'nothing was written');
      assert.equal(inbox.local.messages().length, atTwilio, 'nothing reached Twilio');

      // The same writes with the session's own token go through.
      const answers = [];
      for (const [method, path, body] of await writes()) answers.push((await call(method, path, admin.headers, body)).status);
      assert.deepEqual(answers, [201, 200, 201, 200, 200, 201]);
      const afterwards = await snapshot();
      assert.equal(afterwards.outbound, before.outbound + 2);
      assert.equal(afterwards.contacts, before.contacts + 1);
      assert.equal(afterwards.users, before.users + 1);
      assert.equal(afterwards.unread, 0);
      assert.equal(afterwards.adminName, 'Renombrado');
    });

    test('a write whose token is right but which another site\'s page sent is refused too', async () => {
      const before = await snapshot();
      const crossSite: Record<string, string>[] = [{ origin: EVIL }, { origin: EVIL, 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'null' }];
      for (const headers of crossSite) {
        const res = await call('POST', `/api/conversations/${conversation.id}/messages`, { ...admin.headers, ...headers }, { body: 'desde otro sitio' });
        assert.equal(res.status, 403, JSON.stringify(headers));
        assert.equal(await codeOf(res), 'csrf');
      }
      assert.deepEqual(await snapshot(), before, 'nothing was written');
      // The panel in a browser: same origin, by Origin or by Sec-Fetch-Site.
      const sameOrigin = await call('POST', `/api/conversations/${conversation.id}/read`, { ...admin.headers, origin: new URL(inbox.baseUrl).origin, 'sec-fetch-site': 'same-origin' }, {});
      assert.equal(sameOrigin.status, 200);
    });

    test('login and logout from another site are refused; the panel\'s own page and clients without Origin are not', async () => {
      const sessions = async () => Number((await inbox.db.query<{ n: string }>('SELECT count(*) AS n FROM sessions')).rows[0]!.n);
      const before = await sessions();
      const crossSite: Record<string, string>[] = [
        { origin: EVIL }, { origin: EVIL, 'sec-fetch-site': 'cross-site' }, { origin: 'https://shop.clinica.test', 'sec-fetch-site': 'same-site' }, { origin: 'null' },
      ];
      for (const headers of crossSite) {
        const res = await login(headers);
        assert.equal(res.status, 403, JSON.stringify(headers));
        assert.equal(await codeOf(res), 'csrf');
        assert.deepEqual(res.headers.getSetCookie(), [], 'no cookie is set');
      }
      assert.equal(await sessions(), before, 'no session was created');

      assert.equal((await login({ origin: new URL(inbox.baseUrl).origin, 'sec-fetch-site': 'same-origin' })).status, 200, 'the panel logs in');
      assert.equal((await login({ origin: new URL(inbox.baseUrl).origin })).status, 200, 'a browser without Sec-Fetch-Site logs in by Origin');
      assert.equal((await login()).status, 200, 'curl and scripts send no Origin');

      const victim = await inbox.login();
      const forgedLogout = await call('POST', '/api/auth/logout', { cookie: victim.cookie, origin: EVIL, 'sec-fetch-site': 'cross-site' }, {});
      assert.equal(forgedLogout.status, 403);
      assert.equal((await fetch(`${inbox.baseUrl}/api/auth/me`, { headers: { cookie: victim.cookie } })).status, 200, 'the session survived');
      assert.equal((await call('POST', '/api/auth/logout', { cookie: victim.cookie, 'sec-fetch-site': 'same-origin' }, {})).status, 200);
      assert.equal((await fetch(`${inbox.baseUrl}/api/auth/me`, { headers: { cookie: victim.cookie } })).status, 401);
    });

    test('Twilio\'s webhooks need neither cookie nor token: signed is enough, and a cookie changes nothing', async () => {
      const sid = newSid();
      assert.equal((await inbox.postSigned('/api/whatsapp/status', statusParams(sid, 'sent'))).status, 204);
      const params = { MessageSid: newSid(), AccountSid: inbox.accountSid, From: `whatsapp:${CUSTOMER}`, To: OUR_NUMBER, Body: 'Otra vez', NumMedia: '0' };
      const signed = await fetch(`${inbox.baseUrl}/api/whatsapp/incoming`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded', cookie: admin.cookie,
          'x-twilio-signature': twilio.getExpectedTwilioSignature(inbox.authToken, `${inbox.baseUrl}/api/whatsapp/incoming`, params),
        },
        body: new URLSearchParams(params).toString(),
      });
      assert.equal(signed.status, 200);
      const { rows } = await inbox.db.query('SELECT 1 FROM messages WHERE sid = ANY($1)', [[sid, params.MessageSid]]);
      assert.equal(rows.length, 2, 'both were recorded');
      assert.equal((await inbox.postSigned('/api/whatsapp/status', statusParams(newSid(), 'sent'), { signature: null })).status, 403, 'unsigned is still refused');
    });

    test('agents reach no admin route, even with their own token, and change nothing there', async () => {
      const email = `agente-${hex(3)}@clinica.test`;
      assert.equal((await call('POST', '/api/users', admin.headers, { email, name: 'Agente', password: 'agente-12345', role: 'agent' })).status, 201);
      const agent = await inbox.login(email, 'agente-12345');
      const before = await snapshot();
      const routes: [string, string, unknown][] = [
        ['GET', '/api/users', undefined],
        ['GET', '/api/audit', undefined],
        ['POST', '/api/users', { email: `otro-${hex(3)}@clinica.test`, name: 'Otro', password: 'agente-12345', role: 'admin' }],
        ['PATCH', `/api/users/${await adminId()}`, { disabled: true }],
        ['PUT', '/api/settings', { externalRaisesConversation: true }],
      ];
      for (const [method, path, body] of routes) {
        const res = await call(method, path, agent.headers, body);
        assert.equal(res.status, 403, `${method} ${path}`);
        assert.equal(await codeOf(res), 'forbidden', `${method} ${path}`);
      }
      assert.deepEqual(await snapshot(), before, 'nothing was written');
      assert.equal((await call('GET', '/api/conversations', agent.headers)).status, 200, 'the agent still reads the inbox');
    });

    test('a percent-encoded path meets the same checks as the plain one (the router decodes it)', async () => {
      const before = await snapshot();
      const encoded = (path: string) => path.replace('/api/', '/%61pi/');
      assert.equal((await call('GET', encoded('/api/users'), {})).status, 401, 'no session: no user list');
      for (const [method, path, body] of await writes()) {
        assert.equal((await call(method, encoded(path), {}, body)).status, 401, `${method} ${encoded(path)} without a session`);
        assert.equal((await call(method, encoded(path), { cookie: admin.cookie }, body)).status, 403, `${method} ${encoded(path)} without the token`);
      }
      assert.deepEqual(await snapshot(), before, 'nothing was written');
    });

    test('security headers on the panel\'s page and on API answers; no HSTS over plain http', async () => {
      for (const [path, headers] of [['/', {}], ['/chat/x', {}], ['/api/health', {}], ['/api/auth/me', { cookie: admin.cookie }], ['/api/auth/me', {}]] as const) {
        const res = await fetch(inbox.baseUrl + path, { headers });
        await res.arrayBuffer();
        const csp = res.headers.get('content-security-policy') ?? '';
        assert.match(csp, /default-src 'self'/, `${path}: CSP`);
        assert.match(csp, /script-src 'self'(;|$)/, `${path}: only our own scripts`);
        assert.match(csp, /style-src 'self'(;|$)/, `${path}: no inline styles`);
        assert.match(csp, /frame-ancestors 'none'/, `${path}: never framed`);
        assert.match(csp, /object-src 'none'/, `${path}: no plugins`);
        assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|ws:(\s|;|$)|wss:(\s|;|$)/, `${path}: nothing open-ended`);
        assert.doesNotMatch(csp, /upgrade-insecure-requests/, `${path}: a plain-http install keeps working`);
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
        assert.equal(res.headers.get('x-frame-options'), 'DENY', path);
        assert.equal(res.headers.get('referrer-policy'), 'no-referrer', path);
        assert.equal(res.headers.get('strict-transport-security'), null, `${path}: HSTS means nothing over http`);
      }
    });

    test('the token survives a restart and is valid on another instance on the same database', async () => {
      await inbox.restartServer({ startWorkers: false });
      const me = (await (await fetch(`${inbox.baseUrl}/api/auth/me`, { headers: { cookie: admin.cookie } })).json()) as SessionDto;
      assert.equal(me.csrfToken, admin.csrfToken, 'the same token after a restart');
      assert.equal((await call('POST', `/api/conversations/${conversation.id}/read`, admin.headers, {})).status, 200);

      // Two instances without SESSION_SECRET share the secret kept in the database, so the token too.
      const one = await buildInstance(inbox, inbox.db, {});
      const two = await buildInstance(inbox, inbox.db, {});
      try {
        const loggedIn = await one.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: ADMIN.email, password: ADMIN.password } });
        assert.equal(loggedIn.statusCode, 200);
        const cookie = `${loggedIn.cookies[0]!.name}=${loggedIn.cookies[0]!.value}`;
        const { csrfToken } = loggedIn.json() as { csrfToken: string };
        const onTwo = (headers: Record<string, string>) => two.app.inject({ method: 'POST', url: `/api/conversations/${conversation.id}/read`, headers: { cookie, ...headers }, payload: {} });
        assert.equal((await onTwo({})).statusCode, 403, 'still needed on the other instance');
        assert.equal((await onTwo({ 'x-csrf-token': csrfToken })).statusCode, 200, 'and valid there');
        assert.equal((await two.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } })).json<SessionDto>().csrfToken, csrfToken);
      } finally {
        await one.app.close();
        await two.app.close();
      }
    });

    test('behind an https proxy: Secure cookie, HSTS, login checked against BASE_URL or the forwarded origin', async () => {
      const PUBLIC = 'https://inbox.clinica.test';
      const behind = await buildInstance(inbox, inbox.db, { BASE_URL: PUBLIC, SESSION_SECRET: 'a-test-secret-of-enough-length', TRUST_PROXY: '127.0.0.1' });
      try {
        // The proxy on this host forwards https requests as plain http (inject comes from 127.0.0.1, the trusted proxy).
        const viaProxy = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'inbox.clinica.test' };
        const logIn = (headers: Record<string, string>) => behind.app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'x-forwarded-for': clientAddress(), ...headers }, payload: { email: ADMIN.email, password: ADMIN.password } });

        const ok = await logIn({ ...viaProxy, origin: PUBLIC });
        assert.equal(ok.statusCode, 200);
        const setCookie = ([] as string[]).concat(ok.headers['set-cookie'] ?? []).join('\n');
        assert.match(setCookie, /wa_session=.*; Secure/i, 'the session cookie is Secure');
        assert.match(setCookie, /HttpOnly/i);
        assert.match(setCookie, /SameSite=Lax/i);
        assert.match(String(ok.headers['strict-transport-security']), /max-age=\d{7,}/, 'HSTS behind https');
        assert.match(String(ok.headers['content-security-policy']), /connect-src 'self' wss:\/\/inbox\.clinica\.test/);
        assert.match(String(ok.headers['content-security-policy']), /upgrade-insecure-requests/);

        // A proxy that rewrites Host to ours and forwards nothing else: BASE_URL still names the panel.
        assert.equal((await logIn({ host: '127.0.0.1:8080', origin: PUBLIC })).statusCode, 200);
        // The panel opened under another name the proxy forwards (a second domain): its own origin.
        assert.equal((await logIn({ 'x-forwarded-proto': 'https', 'x-forwarded-host': 'wa.clinica.test', origin: 'https://wa.clinica.test' })).statusCode, 200);
        // The http form of our name is another origin.
        assert.equal((await logIn({ ...viaProxy, origin: 'http://inbox.clinica.test' })).statusCode, 403);
        assert.equal((await logIn({ ...viaProxy, origin: EVIL })).statusCode, 403);

        const { csrfToken } = ok.json() as { csrfToken: string };
        const cookie = `${ok.cookies[0]!.name}=${ok.cookies[0]!.value}`;
        const write = await behind.app.inject({ method: 'POST', url: `/api/conversations/${conversation.id}/read`, headers: { ...viaProxy, origin: PUBLIC, cookie, 'x-csrf-token': csrfToken }, payload: {} });
        assert.equal(write.statusCode, 200);
        const out = await behind.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { ...viaProxy, origin: PUBLIC, cookie }, payload: {} });
        assert.equal(out.statusCode, 200);
        assert.match(([] as string[]).concat(out.headers['set-cookie'] ?? []).join('\n'), /wa_session=;.*Secure/i, 'the cookie is cleared with the same attributes');
      } finally {
        await behind.app.close();
      }
    });
  });
}
