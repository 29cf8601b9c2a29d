import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { buildApp, type App } from '../src/app.ts';
import { addressKey, type LoginLimitSettings } from '../src/auth/login-limits.ts';
import { loadConfig } from '../src/config/env.ts';
import { connectPostgres, type Database } from '../src/db/database.ts';
import type { ApiError } from '../src/contract/api.ts';
import { createTwilioGateway } from '../src/twilio/gateway.ts';
import { databaseKinds } from './support/databases.ts';
import { ADMIN, OUR_NUMBER, startTestInbox, type TestInbox } from './support/inbox.ts';

const WRONG = 'not-the-password';

test('addressKey: IPv4 as is (also IPv4-mapped), IPv6 by its /64', () => {
  assert.equal(addressKey('203.0.113.7'), '203.0.113.7');
  assert.equal(addressKey('::ffff:203.0.113.7'), '203.0.113.7');
  assert.equal(addressKey('::FFFF:127.0.0.1'), '127.0.0.1');
  assert.equal(addressKey('2001:db8:0:1::1'), '2001:db8:0:1::/64');
  assert.equal(addressKey('2001:0db8:0000:0001:ffff:ffff:ffff:ffff'), '2001:db8:0:1::/64');
  assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(addressKey('::1'), '0:0:0:0::/64');
  assert.equal(addressKey('64:ff9b::192.0.2.33'), '64:ff9b:0:0::/64');
  assert.equal(addressKey(undefined), 'unknown');
});

for (const kind of databaseKinds()) {
  describe(`login limits, per address and per account, shared by instances (${kind})`, () => {
    let inbox: TestInbox;
    const extra: { app: App; close(): Promise<void> }[] = [];
    before(async () => {
      inbox = await startTestInbox({ kind, startWorkers: false });
    });
    afterEach(async () => {
      for (const e of extra.splice(0)) await e.close();
      // Each test starts from no failures.
      await inbox.db.query('DELETE FROM login_address_failures');
      await inbox.db.query('DELETE FROM login_account_failures');
    });
    after(() => inbox.close());

    /** Another instance on the same database (its own pool on PostgreSQL), driven by inject. */
    async function instance(env: Record<string, string> = {}, loginLimits: Partial<LoginLimitSettings> = {}): Promise<App> {
      const config = loadConfig({
        BASE_URL: inbox.baseUrl, TWILIO_ACCOUNT_SID: inbox.accountSid, TWILIO_AUTH_TOKEN: inbox.authToken, TWILIO_WHATSAPP_FROM: OUR_NUMBER,
        TWILIO_API_URL: inbox.local.url, LOG_LEVEL: 'silent', RECONCILE_INTERVAL: '0', SESSION_SECRET: 'a-test-secret-of-enough-length', ...env,
      });
      const db: Database = inbox.databaseUrl ? connectPostgres(inbox.databaseUrl, { max: 2 }) : inbox.db;
      const built = await buildApp({ config, twilioConfig: config.twilio!, db, twilio: createTwilioGateway(config.twilio!), startWorkers: false, loginLimits });
      await built.app.ready();
      extra.push({ app: built, close: async () => { await built.app.close(); if (db !== inbox.db) await db.close(); } });
      return built;
    }

    /** A login through inject: from `remoteAddress` (127.0.0.1 by default), with X-Forwarded-For when given. */
    const injectLogin = (app: App, email: string, password: string, o: { forwardedFor?: string; remoteAddress?: string } = {}) =>
      app.app.inject({
        method: 'POST', url: '/api/auth/login', remoteAddress: o.remoteAddress,
        headers: o.forwardedFor ? { 'x-forwarded-for': o.forwardedFor } : {}, payload: { email, password },
      });

    /** A login over HTTP to the test server, from 127.0.0.1. */
    const httpLogin = (email: string, password: string, headers: Record<string, string> = {}) =>
      fetch(inbox.baseUrl + '/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ email, password }) });

    /** Ends every lockout and address window now, as if their time had passed. */
    const letTimePass = async () => {
      await inbox.db.query("UPDATE login_account_failures SET locked_until = now() - interval '1 second' WHERE locked_until IS NOT NULL");
      await inbox.db.query("UPDATE login_address_failures SET window_start = now() - interval '1 day'");
    };

    const assertTooMany = async (res: Response | { statusCode: number; headers: Record<string, unknown>; json(): unknown }, what: string) => {
      const status = 'status' in res ? res.status : res.statusCode;
      assert.equal(status, 429, what);
      const retryAfter = Number('status' in res ? res.headers.get('retry-after') : res.headers['retry-after']);
      const body = ('status' in res ? await res.json() : res.json()) as ApiError;
      assert.equal(body.error.code, 'too_many_attempts');
      assert.match(body.error.message, /Too many failed logins; try again in \d+ (second|minute)/);
      assert.match(body.error.messageEs, /Demasiados intentos fallidos; intente de nuevo en \d+ (segundo|minuto)/);
      return retryAfter;
    };

    test('X-Forwarded-For is ignored by default: 40 wrong passwords with a new forwarded address each are refused after 10', async () => {
      // Successful logins do not count (the test suite logs in from 127.0.0.1 all the time).
      for (let i = 0; i < 3; i++) assert.equal((await httpLogin(ADMIN.email, ADMIN.password)).status, 200);
      const answers: number[] = [];
      const waits: number[] = [];
      for (let i = 0; i < 40; i++) {
        // A new email each time, so only the address's limit can refuse.
        const res = await httpLogin(`ghost${i}@clinica.test`, WRONG, { 'x-forwarded-for': `198.51.100.${i + 1}` });
        answers.push(res.status);
        if (res.status === 429) waits.push(await assertTooMany(res, `attempt ${i + 1}`));
      }
      assert.deepEqual(answers, [...Array(10).fill(401), ...Array(30).fill(429)]);
      assert.ok(waits.every((w) => w > 0 && w <= 15 * 60), `Retry-After within the 15-minute window: ${waits.join(',')}`);
      // While the address is refused, so is the right password from it.
      await assertTooMany(await httpLogin(ADMIN.email, ADMIN.password), 'the right password from a refused address');
      await letTimePass();
      assert.equal((await httpLogin(ADMIN.email, ADMIN.password)).status, 200, 'the window is over');
    });

    // Below, smaller limits than the defaults where the numbers are not the point: each checked
    // password costs argon2's time.
    test('with TRUST_PROXY=127.0.0.1 the forwarded address is counted: separate budgets per address (IPv6 by /64), one per account', async () => {
      const behindProxy = await instance({ TRUST_PROXY: '127.0.0.1' }, { addressMaxFailures: 3, accountMaxFailures: 2 });
      const failFrom = async (forwardedFor: string, n: number, prefix: string) => {
        const statuses: number[] = [];
        for (let i = 0; i < n; i++) statuses.push((await injectLogin(behindProxy, `${prefix}${i}@clinica.test`, WRONG, { forwardedFor })).statusCode);
        return statuses;
      };
      assert.deepEqual(await failFrom('203.0.113.1', 4, 'a'), [401, 401, 401, 429]);
      assert.deepEqual(await failFrom('203.0.113.2', 4, 'b'), [401, 401, 401, 429], 'another forwarded address has its own budget');
      // The client is the last address the trusted proxy appended, not what the client wrote before it.
      assert.equal((await injectLogin(behindProxy, ADMIN.email, ADMIN.password, { forwardedFor: '198.51.100.9, 203.0.113.1' })).statusCode, 429);
      assert.equal((await injectLogin(behindProxy, ADMIN.email, ADMIN.password, { forwardedFor: '203.0.113.1, 203.0.113.3' })).statusCode, 200);

      // IPv6: one /64 is one client.
      const v6: number[] = [];
      for (let i = 0; i < 4; i++) v6.push((await injectLogin(behindProxy, `c${i}@clinica.test`, WRONG, { forwardedFor: `2001:db8:0:1:${i}::${i + 1}` })).statusCode);
      assert.deepEqual(v6, [401, 401, 401, 429]);
      assert.equal((await injectLogin(behindProxy, 'd@clinica.test', WRONG, { forwardedFor: '2001:db8:0:2::1' })).statusCode, 401, 'the next /64 has its own budget');

      // A peer that is not the trusted proxy cannot pick its address: its own is counted.
      const direct: number[] = [];
      for (let i = 0; i < 4; i++) direct.push((await injectLogin(behindProxy, `e${i}@clinica.test`, WRONG, { remoteAddress: '192.0.2.50', forwardedFor: `198.51.100.${i + 100}` })).statusCode);
      assert.deepEqual(direct, [401, 401, 401, 429]);

      // The account's limit applies whatever the address: failures from two addresses lock it.
      for (let i = 0; i < 2; i++) assert.equal((await injectLogin(behindProxy, ADMIN.email, WRONG, { forwardedFor: `203.0.113.${50 + i}` })).statusCode, 401);
      const locked = await injectLogin(behindProxy, ADMIN.email, ADMIN.password, { forwardedFor: '203.0.113.60' });
      await assertTooMany(locked, 'the right password from a fresh address, on a locked account');
    });

    test('per account: locked after 5 failures on two instances together, for a delay that doubles; the right password waits too, then resets the count', async () => {
      // Both behind a proxy, each attempt from a new address: only the account's limit can refuse.
      const a = await instance({ TRUST_PROXY: '127.0.0.1' });
      const b = await instance({ TRUST_PROXY: '127.0.0.1' });
      let n = 0;
      const attempt = (app: App, password: string, email = ADMIN.email) => injectLogin(app, email, password, { forwardedFor: `198.51.100.${++n}` });

      // Failures on A and B add up; the email is normalised (trimmed, lower-case).
      const first = [
        await attempt(a, WRONG), await attempt(b, WRONG), await attempt(a, WRONG, `  ${ADMIN.email.toUpperCase()} `), await attempt(b, WRONG), await attempt(a, WRONG),
      ].map((r) => r.statusCode);
      assert.deepEqual(first, [401, 401, 401, 401, 401]);
      const wait1 = await assertTooMany(await attempt(b, ADMIN.password), 'the right password during the lockout');
      assert.ok(wait1 > 0 && wait1 <= 30, `first lockout 30 s: ${wait1}`);
      await assertTooMany(await attempt(a, WRONG), 'on the other instance too');

      // Each failure after a lockout locks it again for twice as long.
      const waits: number[] = [];
      for (let round = 0; round < 3; round++) {
        await letTimePass();
        assert.equal((await attempt(round % 2 ? a : b, WRONG)).statusCode, 401, 'tried again once the lockout ended');
        waits.push(await assertTooMany(await attempt(round % 2 ? b : a, ADMIN.password), `lockout ${round + 2}`));
      }
      assert.ok(waits[0]! > 30 && waits[0]! <= 60, `then 60 s: ${waits[0]}`);
      assert.ok(waits[1]! > 60 && waits[1]! <= 120, `then 120 s: ${waits[1]}`);
      assert.ok(waits[2]! > 120 && waits[2]! <= 240, `then 240 s: ${waits[2]}`);
      // ...up to 15 minutes.
      await inbox.db.query('UPDATE login_account_failures SET failures = 40');
      await letTimePass();
      assert.equal((await attempt(a, WRONG)).statusCode, 401);
      const capped = await assertTooMany(await attempt(b, ADMIN.password), 'long lockout');
      assert.ok(capped > 14 * 60 && capped <= 15 * 60, `at most 15 minutes: ${capped}`);

      // Once it ends the right password logs in, and the count starts again from zero.
      await letTimePass();
      assert.equal((await attempt(a, ADMIN.password)).statusCode, 200);
      assert.equal((await inbox.db.query('SELECT 1 FROM login_account_failures')).rows.length, 0, 'no failures kept for the account');
      assert.equal((await attempt(b, WRONG)).statusCode, 401);
      const { rows } = await inbox.db.query<{ failures: number; locked_until: Date | null }>('SELECT failures, locked_until FROM login_account_failures');
      assert.deepEqual(rows, [{ failures: 1, locked_until: null }], 'counting starts again from one failure');
    });

    test('an unknown email is counted and locked exactly like a known one', async () => {
      const app = await instance({ TRUST_PROXY: '127.0.0.1' }, { accountMaxFailures: 2 });
      let n = 0;
      const run = async (email: string) => {
        const out: unknown[] = [];
        for (let i = 0; i < 4; i++) {
          const res = await injectLogin(app, email, WRONG, { forwardedFor: `198.51.100.${++n}` });
          out.push(res.statusCode, res.json<ApiError>().error.code, res.headers['retry-after'] === undefined ? 'none' : 'retry-after');
        }
        return out;
      };
      const unknown = await run('nobody@clinica.test');
      assert.deepEqual(unknown.filter((v) => typeof v === 'number'), [401, 401, 429, 429], 'locked after 2 failures (this test\'s limit)');
      assert.deepEqual(unknown, await run(ADMIN.email));
    });

    test('parallel attempts cannot outrun the counts: exactly the limit of wrong passwords is checked, for an account and an address, across two instances', async () => {
      const limits = { accountMaxFailures: 3, addressMaxFailures: 4 };
      const a = await instance({ TRUST_PROXY: '127.0.0.1' }, limits);
      const b = await instance({ TRUST_PROXY: '127.0.0.1' }, limits);
      const account = await Promise.all(Array.from({ length: 20 }, (_, i) => injectLogin(i % 2 ? a : b, ADMIN.email, WRONG, { forwardedFor: `198.51.100.${i + 1}` })));
      const byStatus = (rs: { statusCode: number }[]) => rs.reduce<Record<number, number>>((m, r) => ({ ...m, [r.statusCode]: (m[r.statusCode] ?? 0) + 1 }), {});
      assert.deepEqual(byStatus(account), { 401: 3, 429: 17 });
      const address = await Promise.all(Array.from({ length: 20 }, (_, i) => injectLogin(i % 2 ? a : b, `p${i}@clinica.test`, WRONG, { forwardedFor: '203.0.113.77' })));
      assert.deepEqual(byStatus(address), { 401: 4, 429: 16 });
    });

    test('rows that no longer count are pruned, so unknown emails cannot grow the table for ever', async () => {
      const app = await instance({}, { pruneEverySeconds: 0 });
      await inbox.db.query(`INSERT INTO login_address_failures (address, failures, window_start)
        SELECT '10.9.' || i || '.1', 3, now() - interval '1 hour' FROM generate_series(1, 50) i`);
      await inbox.db.query(`INSERT INTO login_account_failures (email_hash, failures, last_failure_at, locked_until)
        SELECT 'old' || i, 7, now() - interval '2 days', now() - interval '2 days' FROM generate_series(1, 50) i`);
      await inbox.db.query(`INSERT INTO login_account_failures (email_hash, failures, last_failure_at, locked_until)
        VALUES ('recent', 9, now() - interval '1 hour', now() + interval '5 minutes')`);
      assert.equal((await injectLogin(app, 'someone@clinica.test', WRONG)).statusCode, 401);
      const addresses = (await inbox.db.query<{ address: string }>('SELECT address FROM login_address_failures')).rows.map((r) => r.address);
      assert.deepEqual(addresses, ['127.0.0.1'], 'only the live window is kept');
      const accounts = (await inbox.db.query<{ email_hash: string }>('SELECT email_hash FROM login_account_failures ORDER BY email_hash')).rows.map((r) => r.email_hash);
      assert.equal(accounts.length, 2, 'the live lockout and the new failure');
      assert.ok(accounts.includes('recent'));
      assert.ok(!accounts.some((h) => h.includes('someone')), 'emails are kept as hashes');
    });
  });
}
