import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import argon2 from 'argon2';
import { createUser } from '../src/auth/users.ts';
import { auditRepository } from '../src/db/audit-repository.ts';
import type { AuditEntryDto, PageDto, UserDto } from '../src/contract/api.ts';
import { databaseKinds } from './support/databases.ts';
import { ADMIN, newSid, startTestInbox, statusParams, waitFor, type TestInbox } from './support/inbox.ts';
import { record } from './support/realtime.ts';

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
      assert.ok(rows.every((r) => r.password_hash.startsWith('$argon2id$v=19$m=19456,p=1,t=2$')), 'argon2id hashes at 19 MiB, 2 passes, 1 lane');
    });

    test('a password hashed with an older release\'s settings still logs in, and is hashed again at the current ones', async () => {
      const email = 'rehash@clinica.test';
      const user = await createUser(inbox.db, { email, name: 'Agente Antiguo', role: 'agent', password: 'old-settings-password-1' });
      // The library's defaults, as releases before this one stored them (64 MiB, 3 passes, 4 lanes).
      const oldHash = await argon2.hash('old-settings-password-1', { type: argon2.argon2id });
      assert.match(oldHash, /\$m=65536,p=4,t=3\$/);
      await inbox.db.query('UPDATE users SET password_hash = $1 WHERE id = $2', [oldHash, user.id]);
      assert.equal((await login(email, 'wrong-password')).status, 401);
      const stored = async () => (await inbox.db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [user.id])).rows[0]!.password_hash;
      assert.equal(await stored(), oldHash, 'a wrong password changes nothing');
      assert.equal((await login(email, 'old-settings-password-1')).status, 200);
      assert.match(await stored(), /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
      assert.equal((await login(email, 'old-settings-password-1')).status, 200, 'the new hash logs in');
    });

    test('admins manage agents; agents cannot; a disabled agent loses its session', async () => {
      const { cookie: adminCookie, headers: admin } = await inbox.login();
      const created = await fetch(inbox.baseUrl + '/api/users', {
        method: 'POST', headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'recepcion@clinica.test', name: 'Recepción', password: 'agente-12345', role: 'agent' }),
      });
      assert.equal(created.status, 201);
      const agent = (await created.json()) as UserDto;
      const agentCookie = await inbox.loginCookie('recepcion@clinica.test', 'agente-12345');
      assert.equal((await fetch(inbox.baseUrl + '/api/users', { headers: { cookie: agentCookie } })).status, 403);
      assert.equal((await fetch(inbox.baseUrl + '/api/conversations', { headers: { cookie: agentCookie } })).status, 200);
      const dup = await fetch(inbox.baseUrl + '/api/users', {
        method: 'POST', headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'RECEPCION@clinica.test', name: 'Otra', password: 'agente-12345' }),
      });
      assert.equal(dup.status, 409);
      const disabled = await fetch(`${inbox.baseUrl}/api/users/${agent.id}`, {
        method: 'PATCH', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ disabled: true }),
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

    test('the audit trail pages newest first by cursor, names whom each change was about, and is for admins only', async () => {
      const adminCookie = await inbox.loginCookie();
      const audit = async (query: string, cookie = adminCookie) => {
        const res = await fetch(`${inbox.baseUrl}/api/audit${query}`, { headers: { cookie } });
        return { status: res.status, page: (await res.json()) as PageDto<AuditEntryDto> };
      };
      // Written as POST /api/users writes them (the test above covers that path), so this one reads only.
      const adminId = (await inbox.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [ADMIN.email])).rows[0]!.id;
      for (let i = 1; i <= 5; i++) {
        const user = await createUser(inbox.db, { email: `turno${i}@clinica.test`, name: `Turno ${i}`, password: 'agente-12345', role: 'agent' });
        await auditRepository.record(inbox.db, { actorId: adminId, action: 'user.create', target: user.id, details: { email: user.email, role: user.role } });
      }

      const all = (await inbox.db.query<{ id: string }>('SELECT id FROM audit_log ORDER BY id DESC')).rows.map((r) => Number(r.id));
      assert.ok(all.length > 4, 'enough entries for several pages');
      const seen: number[] = [];
      let cursor: string | null = null;
      for (let pages = 1; ; pages++) {
        assert.ok(pages <= all.length, 'the paging ends');
        const { status, page }: { status: number; page: PageDto<AuditEntryDto> } = await audit(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(status, 200);
        assert.ok(page.items.length <= 2, 'a page holds at most the limit');
        seen.push(...page.items.map((e) => e.id));
        cursor = page.nextCursor;
        if (!cursor) break;
      }
      assert.deepEqual(seen, all, 'every entry once, newest first');

      const [newest] = (await audit('?limit=1')).page.items;
      assert.equal(newest?.action, 'user.create');
      assert.equal(newest?.actor?.email, ADMIN.email);
      assert.deepEqual(newest?.targetUser && { name: newest.targetUser.name, email: newest.targetUser.email }, { name: 'Turno 5', email: 'turno5@clinica.test' });
      assert.equal(newest?.targetMessage, null);

      assert.equal((await audit('?cursor=not-a-cursor')).status, 400);
      assert.equal((await audit('?limit=0')).status, 400);
      const agentCookie = await inbox.loginCookie('turno1@clinica.test', 'agente-12345');
      assert.equal((await audit('', agentCookie)).status, 403);
    });
  });
}

for (const kind of databaseKinds()) {
  describe(`open sockets of ended sessions (${kind})`, () => {
    let inbox: TestInbox;
    before(async () => {
      inbox = await startTestInbox({ kind, sessionRecheckMs: 100 });
    });
    after(() => inbox.close());

    test('a disabled agent\'s open socket is closed and gets nothing more; a logout elsewhere closes its sockets too', async () => {
      const { headers: admin } = await inbox.login();
      const created = await fetch(inbox.baseUrl + '/api/users', {
        method: 'POST', headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'turno.noche@clinica.test', name: 'Turno Noche', password: 'agente-12345', role: 'agent' }),
      });
      assert.equal(created.status, 201);
      const agent = (await created.json()) as UserDto;
      const agentSocket = await inbox.connectSocket(await inbox.loginCookie('turno.noche@clinica.test', 'agente-12345'));
      const seen = record(agentSocket);
      let closed = false;
      agentSocket.on('disconnect', () => { closed = true; });
      const before = newSid();
      await inbox.postSigned('/api/whatsapp/status', statusParams(before, 'sent'));
      await waitFor(() => seen.conversationOf(before), 'the agent sees the list while enabled');

      const disabled = await fetch(`${inbox.baseUrl}/api/users/${agent.id}`, { method: 'PATCH', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ disabled: true }) });
      assert.equal(disabled.status, 200);
      await waitFor(() => closed, 'the disabled agent\'s socket closed by the server');
      const after = newSid();
      await inbox.postSigned('/api/whatsapp/status', statusParams(after, 'sent'));
      await waitFor(() => inbox.db.query('SELECT 1 FROM messages WHERE sid = $1', [after]).then((r) => r.rows.length === 1), 'the later message stored');
      assert.equal(seen.conversationOf(after), undefined, 'nothing reaches the disabled agent');

      // The admin logs out in one tab: the socket of another tab with that session closes too.
      const adminSocket = await inbox.connectSocket(admin.cookie);
      let adminClosed = false;
      adminSocket.on('disconnect', () => { adminClosed = true; });
      assert.equal((await fetch(inbox.baseUrl + '/api/auth/logout', { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: '{}' })).status < 300, true, 'logged out');
      await waitFor(() => adminClosed, 'the logged-out session\'s socket closed');
    });
  });
}
