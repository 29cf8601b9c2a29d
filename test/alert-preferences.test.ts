import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AlertPreferencesDto, SessionDto, UserDto } from '../src/contract/api.ts';
import { databaseKinds } from './support/databases.ts';
import { connectPanelSocket, newSid, skipTwoInstances, startTestInbox, twoInstances, waitFor, type TestInbox, type TestSession } from './support/inbox.ts';

for (const kind of databaseKinds()) {
  describe(`each user's alerts (${kind})`, () => {
    let inbox: TestInbox;
    let admin: TestSession;
    let agent: TestSession;

    const call = async <T>(s: TestSession | { headers: Record<string, string> }, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> => {
      const res = await fetch(inbox.baseUrl + path, {
        method,
        headers: { ...s.headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? (typeof body === 'string' ? body : JSON.stringify(body)) : undefined,
      });
      return { status: res.status, json: (await res.json()) as T };
    };
    const me = async (s: TestSession) => {
      const r = await call<SessionDto>(s, 'GET', '/api/auth/me');
      assert.equal(r.status, 200);
      return r.json;
    };

    before(async () => {
      inbox = await startTestInbox({ kind, startWorkers: false });
      admin = await inbox.login();
      const created = await call<UserDto>(admin, 'POST', '/api/users', { email: 'laura@clinica.test', name: 'Laura Gómez', password: 'a-long-enough-password', role: 'agent' });
      assert.equal(created.status, 201);
      agent = await inbox.login('laura@clinica.test', 'a-long-enough-password');
    });
    after(() => inbox.close());

    test('both alerts are on by default, in /api/auth/me', async () => {
      assert.deepEqual((await me(admin)).alerts, { desktop: true, sound: true });
      assert.deepEqual((await me(agent)).alerts, { desktop: true, sound: true });
    });

    test('PATCH changes what it is given and keeps the rest, for that user only (agents too)', async () => {
      const off = await call<AlertPreferencesDto>(agent, 'PATCH', '/api/auth/me/alerts', { desktop: false });
      assert.equal(off.status, 200);
      assert.deepEqual(off.json, { desktop: false, sound: true });
      const both = await call<AlertPreferencesDto>(agent, 'PATCH', '/api/auth/me/alerts', { sound: false });
      assert.deepEqual(both.json, { desktop: false, sound: false });
      assert.deepEqual((await me(agent)).alerts, { desktop: false, sound: false }, 'kept on the server');
      assert.deepEqual((await me(admin)).alerts, { desktop: true, sound: true }, 'another user keeps theirs');
      const on = await call<AlertPreferencesDto>(agent, 'PATCH', '/api/auth/me/alerts', { desktop: true, sound: true });
      assert.deepEqual(on.json, { desktop: true, sound: true });
    });

    test('a bad body is 400 and changes nothing; a write without the CSRF token is 403', async () => {
      await call(agent, 'PATCH', '/api/auth/me/alerts', { sound: false });
      for (const body of [{}, { desktop: 'no' }, { sound: null }, { desktop: true, volume: 3 }, [], '"x"', '{not json']) {
        const r = await call<{ error: { code: string } }>(agent, 'PATCH', '/api/auth/me/alerts', body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.json.error.code, body === '{not json' ? 'bad_request' : 'validation', JSON.stringify(body));
      }
      const forged = await call<{ error: { code: string } }>({ headers: { cookie: agent.cookie } }, 'PATCH', '/api/auth/me/alerts', { desktop: false });
      assert.equal(forged.status, 403);
      assert.equal(forged.json.error.code, 'csrf');
      const anonymous = await call(({ headers: {} }), 'PATCH', '/api/auth/me/alerts', { desktop: false });
      assert.equal(anonymous.status, 401);
      assert.deepEqual((await me(agent)).alerts, { desktop: true, sound: false }, 'unchanged by every refused write');
    });

    test("the user's other panels learn the change live; another user's panel does not", async () => {
      const secondTab = await inbox.login('laura@clinica.test', 'a-long-enough-password');
      const sameUser = await inbox.connectSocket(secondTab.cookie);
      const otherUser = await inbox.connectSocket(admin.cookie);
      const seenBySameUser: AlertPreferencesDto[] = [];
      const seenByOtherUser: AlertPreferencesDto[] = [];
      sameUser.on('alerts:updated', (a) => seenBySameUser.push(a));
      otherUser.on('alerts:updated', (a) => seenByOtherUser.push(a));

      await call(agent, 'PATCH', '/api/auth/me/alerts', { desktop: false, sound: true });
      await waitFor(() => seenBySameUser.length === 1, 'the same user\'s other socket told');
      assert.deepEqual(seenBySameUser, [{ desktop: false, sound: true }]);

      // The admin's own change comes after the agent's on the admin's socket: had the agent's
      // reached it, it would be first.
      await call(admin, 'PATCH', '/api/auth/me/alerts', { sound: false });
      await waitFor(() => seenByOtherUser.length >= 1, 'the admin\'s own change');
      assert.deepEqual(seenByOtherUser, [{ desktop: true, sound: false }]);
      assert.equal(seenBySameUser.length, 1, 'the admin\'s change never reaches the agent');
    });
  });
}


// Behind a load balancer the user's other tab may be connected to another instance.
describe('alerts changed on one instance, across two', { skip: skipTwoInstances }, () => {
  const instances = twoInstances('alerts');

  test('changed on A: the same user\'s panel on B is told', async () => {
    const [a, b] = [instances.a(), instances.b()];
    const s = await a.login();
    const socket = await connectPanelSocket(b.url, s.cookie);
    const seen: AlertPreferencesDto[] = [];
    socket.on('alerts:updated', (alerts) => seen.push(alerts));
    const res = await fetch(`${a.baseUrl}/api/auth/me/alerts`, {
      method: 'PATCH', headers: { ...s.headers, 'content-type': 'application/json' }, body: JSON.stringify({ sound: false }),
    });
    assert.equal(res.status, 200);
    await waitFor(() => seen.length === 1, 'the change on B', 10_000);
    assert.deepEqual(seen, [{ desktop: true, sound: false }]);
    socket.close();
  });
});
