import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { io as connectClient, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents, UserDto } from '../src/contract/api.ts';
import { SESSION_RECHECK_MS } from '../src/realtime/socket-server.ts';
import { databaseKinds } from './support/databases.ts';
import { hex, startSecondInstance, startTestInbox, waitFor, type TestInbox, type TestSession } from './support/inbox.ts';
import { watch } from './support/realtime.ts';

type PanelSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
const PASSWORD = 'agente-12345';
// Far below the periodic check of sockets' sessions (left at its default here): only the server's
// own change can close a socket this soon.
const AT_ONCE_MS = 2_000;
assert.ok(AT_ONCE_MS * 10 <= SESSION_RECHECK_MS);

/** Tracks whether the server closed a socket. */
function closedBy(socket: PanelSocket) {
  const state = { closed: false, reason: '' };
  socket.on('disconnect', (reason) => Object.assign(state, { closed: true, reason }));
  return state;
}

async function patchUser(baseUrl: string, admin: TestSession, id: string, patch: Record<string, unknown>) {
  const res = await fetch(`${baseUrl}/api/users/${id}`, { method: 'PATCH', headers: { ...admin.headers, 'content-type': 'application/json' }, body: JSON.stringify(patch) });
  assert.equal(res.status, 200, `PATCH ${JSON.stringify(patch)}`);
  return (await res.json()) as UserDto;
}

async function createAgent(baseUrl: string, admin: TestSession): Promise<UserDto & { password: string }> {
  const email = `agente.${hex(4)}@clinica.test`;
  const res = await fetch(baseUrl + '/api/users', {
    method: 'POST', headers: { ...admin.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ email, name: 'Agente ' + email, password: PASSWORD, role: 'agent' }),
  });
  assert.equal(res.status, 201);
  return { ...((await res.json()) as UserDto), password: PASSWORD };
}

/** A socket still served: its watch call is answered. */
const stillServed = async (socket: PanelSocket) => socket.connected && (await watch(socket, null)) === true;

for (const kind of databaseKinds()) {
  describe(`a user's sockets close at once when the server ends or changes their session (${kind})`, () => {
    let inbox: TestInbox;
    let admin: TestSession;
    before(async () => {
      inbox = await startTestInbox({ kind, startWorkers: false });
      admin = await inbox.login();
    });
    after(() => inbox.close());

    test('disabling a user closes every socket of that user, and no other', async () => {
      const agent = await createAgent(inbox.baseUrl, admin);
      const cookie = await inbox.loginCookie(agent.email, PASSWORD);
      const tabs = [await inbox.connectSocket(cookie), await inbox.connectSocket(await inbox.loginCookie(agent.email, PASSWORD))];
      const adminSocket = await inbox.connectSocket(admin.cookie);
      const closed = tabs.map(closedBy);
      await patchUser(inbox.baseUrl, admin, agent.id, { disabled: true });
      await waitFor(() => closed.every((c) => c.closed), 'both of the disabled agent\'s sockets closed', AT_ONCE_MS);
      assert.deepEqual(closed.map((c) => c.reason), ['io server disconnect', 'io server disconnect']);
      assert.equal(await stillServed(adminSocket), true, 'the admin\'s socket stays');
      await assert.rejects(inbox.connectSocket(cookie), /unauthenticated/, 'and cannot come back');
    });

    test('a role change closes the user\'s sockets; the panel reconnects with the same session and the new role', async () => {
      const agent = await createAgent(inbox.baseUrl, admin);
      const cookie = await inbox.loginCookie(agent.email, PASSWORD);
      const socket = await inbox.connectSocket(cookie);
      const closed = closedBy(socket);
      // A rename changes nothing the socket relies on: it stays.
      await patchUser(inbox.baseUrl, admin, agent.id, { name: 'Agente Renombrado' });
      assert.equal(await stillServed(socket), true, 'a rename keeps the socket');
      assert.equal(closed.closed, false);
      await patchUser(inbox.baseUrl, admin, agent.id, { role: 'admin' });
      await waitFor(() => closed.closed, 'the socket closed after the role change', AT_ONCE_MS);
      const again = await inbox.connectSocket(cookie);
      assert.equal(await stillServed(again), true, 'the same session opens a socket again');
      const me = (await (await fetch(inbox.baseUrl + '/api/auth/me', { headers: { cookie } })).json()) as { user: UserDto };
      assert.equal(me.user.role, 'admin');
    });

    test('a password reset closes the user\'s sockets and ends the sessions', async () => {
      const agent = await createAgent(inbox.baseUrl, admin);
      const cookie = await inbox.loginCookie(agent.email, PASSWORD);
      const socket = await inbox.connectSocket(cookie);
      const closed = closedBy(socket);
      await patchUser(inbox.baseUrl, admin, agent.id, { password: 'otra-clave-12345' });
      await waitFor(() => closed.closed, 'the socket closed after the password reset', AT_ONCE_MS);
      await assert.rejects(inbox.connectSocket(cookie), /unauthenticated/, 'the old session opens no socket');
    });

    test('logging out closes that session\'s sockets only; the user\'s other sessions stay', async () => {
      const agent = await createAgent(inbox.baseUrl, admin);
      const laptop = await inbox.login(agent.email, PASSWORD);
      const phone = await inbox.login(agent.email, PASSWORD);
      const laptopTabs = [await inbox.connectSocket(laptop.cookie), await inbox.connectSocket(laptop.cookie)];
      const phoneSocket = await inbox.connectSocket(phone.cookie);
      const closed = laptopTabs.map(closedBy);
      const phoneClosed = closedBy(phoneSocket);
      const res = await fetch(inbox.baseUrl + '/api/auth/logout', { method: 'POST', headers: { ...laptop.headers, 'content-type': 'application/json' }, body: '{}' });
      assert.equal(res.status, 200);
      await waitFor(() => closed.every((c) => c.closed), 'both tabs of the logged-out session closed', AT_ONCE_MS);
      assert.equal(await stillServed(phoneSocket), true, 'the other session\'s socket stays');
      assert.equal(phoneClosed.closed, false);
    });
  });
}

// A socket whose handshake read its session just before the session ended joins its rooms just
// after the close went by: it is closed as it connects. The handshake's read is held back by a lock.
describe('a socket whose session ends during its handshake (postgres)', { skip: databaseKinds().includes('postgres') ? false : 'PostgreSQL not in this run' }, () => {
  let inbox: TestInbox;
  before(async () => {
    inbox = await startTestInbox({ kind: 'postgres', startWorkers: false });
  });
  after(() => inbox.close());

  test('is closed as it connects', async () => {
    const admin = await inbox.login();
    const agent = await createAgent(inbox.baseUrl, admin);
    const cookie = await inbox.loginCookie(agent.email, PASSWORD);
    let release!: () => void;
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => { locked = resolve; });
    const holding = inbox.db.transaction(async (tx) => {
      await tx.query('LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE');
      locked();
      await new Promise<void>((resolve) => { release = resolve; });
    });
    await isLocked;
    const connecting = inbox.connectSocket(cookie);
    try {
      await waitFor(async () => (await inbox.db.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FROM sessions s JOIN users u%'`,
      )).rows.length > 0, 'the handshake waiting on its session read');
      // What PATCH /api/users/:id raises after a role change; the session itself stays valid.
      inbox.ctx.events.emit('sessions:ended', { userId: agent.id });
    } finally {
      release();
      await holding;
    }
    const socket = await connecting;
    // (The close may arrive with the connect, before a listener could be added.)
    await waitFor(() => !socket.connected, 'the socket closed as it connected', AT_ONCE_MS);
    // Its reconnect reads the session afresh and stays.
    assert.equal(await stillServed(await inbox.connectSocket(cookie)), true);
  });
});

const REDIS_URL = process.env.WA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const skip = process.env.WA_SKIP_REDIS ? 'Redis not available' : !databaseKinds().includes('postgres') ? 'PostgreSQL not in this run' : false;

describe('sockets close at once on every instance (PostgreSQL and Redis)', { skip }, () => {
  let a: TestInbox;
  let b: Awaited<ReturnType<typeof startSecondInstance>>;
  let admin: TestSession;
  before(async () => {
    a = await startTestInbox({ kind: 'postgres', startWorkers: false, redisUrl: REDIS_URL });
    b = await startSecondInstance(a, REDIS_URL);
    admin = await a.login();
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  const connectToB = async (cookie: string) => {
    const socket: PanelSocket = connectClient(b.url, { transports: ['websocket'], extraHeaders: { cookie }, reconnection: false, forceNew: true });
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
    return socket;
  };

  test('disabling a user through instance A closes the user\'s socket on instance B', async () => {
    const agent = await createAgent(a.baseUrl, admin);
    const onB = await connectToB(await a.loginCookie(agent.email, PASSWORD));
    const adminOnB = await connectToB(admin.cookie);
    const closed = closedBy(onB);
    try {
      await patchUser(a.baseUrl, admin, agent.id, { disabled: true });
      await waitFor(() => closed.closed, 'the socket on B closed', AT_ONCE_MS);
      assert.equal(closed.reason, 'io server disconnect');
      assert.equal(await stillServed(adminOnB), true, 'another user\'s socket on B stays');
    } finally {
      onB.close();
      adminOnB.close();
    }
  });

  test('logging out through instance A closes that session\'s socket on instance B', async () => {
    const agent = await createAgent(a.baseUrl, admin);
    const session = await a.login(agent.email, PASSWORD);
    const onB = await connectToB(session.cookie);
    const closed = closedBy(onB);
    try {
      assert.equal((await fetch(a.baseUrl + '/api/auth/logout', { method: 'POST', headers: { ...session.headers, 'content-type': 'application/json' }, body: '{}' })).status, 200);
      await waitFor(() => closed.closed, 'the logged-out session\'s socket on B closed', AT_ONCE_MS);
    } finally {
      onB.close();
    }
  });
});
