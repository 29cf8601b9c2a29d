import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { UserDto } from '../src/realtime/events.ts';
import { databaseKinds } from './support/databases.ts';
import { ADMIN, startTestInbox, type TestInbox } from './support/inbox.ts';

for (const kind of databaseKinds()) {
  describe(`users and sessions (${kind})`, () => {
    let inbox: TestInbox;
    before(async () => {
      inbox = await startTestInbox({ kind, startWorkers: false });
    });
    after(() => inbox.close());

    const login = (email: string, password: string) =>
      fetch(inbox.baseUrl + '/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });

    test('login sets an httpOnly cookie, me answers, logout ends the session', async () => {
      const res = await login(ADMIN.email.toUpperCase(), ADMIN.password);
      assert.equal(res.status, 200);
      const setCookie = res.headers.getSetCookie().join(';');
      assert.match(setCookie, /wa_session=/);
      assert.match(setCookie, /HttpOnly/i);
      assert.match(setCookie, /SameSite=Lax/i);
      const cookie = setCookie.split(';')[0]!;
      const me = await fetch(inbox.baseUrl + '/api/auth/me', { headers: { cookie } });
      assert.equal(me.status, 200);
      const body = (await me.json()) as { user: UserDto; demoMode: boolean };
      assert.equal(body.user.role, 'admin');
      assert.equal(body.demoMode, false);
      assert.equal((await fetch(inbox.baseUrl + '/api/auth/logout', { method: 'POST', headers: { cookie } })).status, 200);
      assert.equal((await fetch(inbox.baseUrl + '/api/auth/me', { headers: { cookie } })).status, 401);
    });

    test('unknown user and wrong password get the same answer', async () => {
      const a = await login('nobody@clinica.test', 'whatever-password');
      const b = await login(ADMIN.email, 'wrong-password');
      assert.equal(a.status, 401);
      assert.equal(b.status, 401);
      assert.deepEqual(await a.json(), await b.json());
    });

    test('the stored password is an argon2id hash', async () => {
      const { rows } = await inbox.db.query<{ password_hash: string }>('SELECT password_hash FROM users');
      assert.ok(rows.every((r) => r.password_hash.startsWith('$argon2id$')), 'argon2id hashes');
    });

    test('admins manage agents; agents cannot; a disabled agent loses its session', async () => {
      const adminCookie = await inbox.loginCookie();
      const created = await fetch(inbox.baseUrl + '/api/users', {
        method: 'POST', headers: { cookie: adminCookie, 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'recepcion@clinica.test', name: 'Recepción', password: 'agente-12345', role: 'agent' }),
      });
      assert.equal(created.status, 201);
      const agent = (await created.json()) as UserDto;
      const agentCookie = await inbox.loginCookie('recepcion@clinica.test', 'agente-12345');
      assert.equal((await fetch(inbox.baseUrl + '/api/users', { headers: { cookie: agentCookie } })).status, 403);
      assert.equal((await fetch(inbox.baseUrl + '/api/conversations', { headers: { cookie: agentCookie } })).status, 200);
      const dup = await fetch(inbox.baseUrl + '/api/users', {
        method: 'POST', headers: { cookie: adminCookie, 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'RECEPCION@clinica.test', name: 'Otra', password: 'agente-12345' }),
      });
      assert.equal(dup.status, 409);
      const disabled = await fetch(`${inbox.baseUrl}/api/users/${agent.id}`, {
        method: 'PATCH', headers: { cookie: adminCookie, 'content-type': 'application/json' }, body: JSON.stringify({ disabled: true }),
      });
      assert.equal(disabled.status, 200);
      assert.equal((await fetch(inbox.baseUrl + '/api/conversations', { headers: { cookie: agentCookie } })).status, 401);
      assert.equal((await login('recepcion@clinica.test', 'agente-12345')).status, 401);

      // The audit trail says who changed which user, and never holds a password.
      const audit = await fetch(inbox.baseUrl + '/api/audit', { headers: { cookie: adminCookie } });
      assert.equal(audit.status, 200);
      const entries = ((await audit.json()) as { items: { action: string; target: string; actor: { email: string }; details: Record<string, unknown> }[] }).items;
      const forAgent = entries.filter((e) => e.target === agent.id).map((e) => [e.action, e.actor.email, e.details]);
      assert.deepEqual(forAgent, [
        ['user.update', ADMIN.email, { disabled: true }],
        ['user.create', ADMIN.email, { email: 'recepcion@clinica.test', role: 'agent' }],
      ]);
      assert.doesNotMatch(JSON.stringify(entries), /agente-12345/);
    });
  });
}
