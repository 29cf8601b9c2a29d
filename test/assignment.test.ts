import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ApiError, AuditEntryDto, ConversationCountsDto, ConversationDto, PageDto, UserDto } from '../src/contract/api.ts';
import { databaseKinds } from './support/databases.ts';
import { callApi, connectPanelSocket, newSid, OUR_NUMBER, skipTwoInstances, startTestInbox, twoInstances, waitFor, type TestInbox, type TestSession } from './support/inbox.ts';
import { record } from './support/realtime.ts';

for (const kind of databaseKinds()) {
  describe(`assignment and status (${kind})`, () => {
    let inbox: TestInbox;
    let admin: TestSession;
    let agent: TestSession;
    let adminId: string;
    let agentUser: UserDto;
    let disabledUser: UserDto;

    const call = <T>(s: TestSession, method: string, path: string, body?: unknown) => callApi<T>(inbox.baseUrl, s, method, path, body);
    const ok = async <T>(s: TestSession, method: string, path: string, body?: unknown): Promise<T> => {
      const r = await call<T>(s, method, path, body);
      assert.equal(r.status, 200, `${method} ${path}: ${JSON.stringify(r.json)}`);
      return r.json;
    };
    const inbound = async (from: string, body: string, name = 'Paciente'): Promise<ConversationDto> => {
      const res = await inbox.postSigned('/api/whatsapp/incoming', {
        MessageSid: newSid(), AccountSid: 'AC' + '0'.repeat(32), From: `whatsapp:${from}`, To: OUR_NUMBER, Body: body, NumMedia: '0', ProfileName: name,
      });
      assert.equal(res.status, 200);
      return (await ok<PageDto<ConversationDto>>(admin, 'GET', `/api/conversations?q=${from.slice(1)}`)).items[0]!;
    };
    const addUser = async (email: string, name: string): Promise<UserDto> => {
      const r = await call<UserDto>(admin, 'POST', '/api/users', { email, name, password: 'a-long-enough-password', role: 'agent' });
      assert.equal(r.status, 201);
      return r.json;
    };
    const phonesOf = (page: PageDto<ConversationDto>) => page.items.map((c) => c.contact.phone);

    before(async () => {
      inbox = await startTestInbox({ kind, startWorkers: false });
      admin = await inbox.login();
      adminId = (await ok<{ user: UserDto }>(admin, 'GET', '/api/auth/me')).user.id;
      agentUser = await addUser('laura@clinica.test', 'Laura Gómez');
      disabledUser = await addUser('pedro@clinica.test', 'Pedro Ruiz');
      await ok(admin, 'PATCH', `/api/users/${disabledUser.id}`, { disabled: true });
      agent = await inbox.login('laura@clinica.test', 'a-long-enough-password');
    });
    after(() => inbox.close());

    test('a new conversation is open and unassigned; PATCH assigns, resolves, reopens, marks unread, each live and audited', async () => {
      const socket = await inbox.connectSocket(admin.cookie);
      const live = record(socket);
      const c = await inbound('+573180000001', 'hola');
      assert.equal(c.status, 'open');
      assert.equal(c.assignee, null);

      const assigned = await ok<ConversationDto>(agent, 'PATCH', `/api/conversations/${c.id}`, { assigneeId: agentUser.id });
      assert.deepEqual(assigned.assignee, { id: agentUser.id, name: 'Laura Gómez' });
      assert.ok(assigned.seq > c.seq, 'the seq moved');
      await waitFor(() => live.conversation(c.id)?.assignee?.id === agentUser.id, 'the assignment in a live list update');

      const resolved = await ok<ConversationDto>(admin, 'PATCH', `/api/conversations/${c.id}`, { status: 'resolved' });
      assert.equal(resolved.status, 'resolved');
      assert.deepEqual(resolved.assignee, { id: agentUser.id, name: 'Laura Gómez' }, 'resolving keeps the assignee');
      await waitFor(() => live.conversation(c.id)?.status === 'resolved', 'the resolution live');

      await ok(admin, 'POST', `/api/conversations/${c.id}/read`);
      const unread = await ok<ConversationDto>(admin, 'PATCH', `/api/conversations/${c.id}`, { unread: true });
      assert.equal(unread.unreadCount, 1);
      await waitFor(() => live.conversation(c.id)?.unreadCount === 1, 'the unread badge live');

      const both = await ok<ConversationDto>(admin, 'PATCH', `/api/conversations/${c.id}`, { assigneeId: null, status: 'open' });
      assert.equal(both.assignee, null);
      assert.equal(both.status, 'open');

      // Saying what already is changes nothing: no new seq, no audit row.
      const same = await ok<ConversationDto>(admin, 'PATCH', `/api/conversations/${c.id}`, { status: 'open' });
      assert.equal(same.seq, both.seq);

      const audit = await ok<PageDto<AuditEntryDto>>(admin, 'GET', '/api/audit?limit=50');
      const mine = audit.items.filter((e) => e.target === c.id).reverse().map((e) => [e.action, e.actor?.id, e.details]);
      assert.deepEqual(mine, [
        ['conversation.assign', agentUser.id, { from: null, to: agentUser.id }],
        ['conversation.status', adminId, { from: 'open', to: 'resolved' }],
        ['conversation.unread', adminId, { unreadCount: 1 }],
        ['conversation.assign', adminId, { from: agentUser.id, to: null }],
        ['conversation.status', adminId, { from: 'resolved', to: 'open' }],
      ]);
      const firstAssign = audit.items.filter((e) => e.target === c.id && e.action === 'conversation.assign').at(-1)!;
      assert.equal(firstAssign.targetConversation?.contact.phone, '+573180000001', 'the audit entry names the conversation by its contact');
      assert.deepEqual(firstAssign.assignedTo, { id: agentUser.id, name: 'Laura Gómez' });
    });

    test('bad input is 400 validation with a Spanish message; an unknown conversation is 404', async () => {
      const c = await inbound('+573180000002', 'buenos días');
      for (const body of [{}, { color: 'red' }, { status: 'closed' }, { unread: false }, { assigneeId: 7 }, { assigneeId: 'me' },
        { assigneeId: '00000000-0000-4000-8000-000000000000' }, { assigneeId: disabledUser.id }]) {
        const r = await call<ApiError>(admin, 'PATCH', `/api/conversations/${c.id}`, body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.json.error.code, 'validation');
        assert.ok(r.json.error.messageEs.length > 0);
      }
      const disabled = await call<ApiError>(admin, 'PATCH', `/api/conversations/${c.id}`, { assigneeId: disabledUser.id });
      assert.match(disabled.json.error.messageEs, /usuario activo/);
      for (const id of ['00000000-0000-4000-8000-000000000000', 'nope']) {
        const r = await call<ApiError>(admin, 'PATCH', `/api/conversations/${id}`, { status: 'resolved' });
        assert.equal(r.status, 404);
        assert.equal(r.json.error.code, 'not_found');
      }
      const after = await ok<ConversationDto>(admin, 'GET', `/api/conversations/${c.id}`);
      assert.equal(after.assignee, null, 'nothing changed');
      assert.equal(after.status, 'open');
      for (const q of ['assignee=someone', 'status=closed', 'unread=yes']) {
        assert.equal((await call<ApiError>(admin, 'GET', `/api/conversations?${q}`)).status, 400, q);
        assert.equal((await call<ApiError>(admin, 'GET', `/api/conversations/counts?${q}`)).status, 400, q);
      }
    });

    test('assignees: every active user, for agents too', async () => {
      const { items } = await ok<{ items: { id: string; name: string }[] }>(agent, 'GET', '/api/assignees');
      const ids = items.map((u) => u.id);
      assert.ok(ids.includes(adminId) && ids.includes(agentUser.id));
      assert.ok(!ids.includes(disabledUser.id), 'a disabled user is not offered');
    });

    test('filters: assignee me|none|<id>, status, unread, combined with q and the cursor; counts per chip, narrowed by q', async () => {
      const fresh = await startTestInbox({ kind, startWorkers: false });
      try {
        const a = await fresh.login();
        const me = (await (await fetch(fresh.baseUrl + '/api/auth/me', { headers: a.headers })).json() as { user: UserDto }).user.id;
        const get = async <T>(path: string): Promise<T> => {
          const res = await fetch(fresh.baseUrl + path, { headers: a.headers });
          assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
          return res.json() as Promise<T>;
        };
        const patch = async (id: string, body: unknown) => {
          const res = await fetch(`${fresh.baseUrl}/api/conversations/${id}`, { method: 'PATCH', headers: { ...a.headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
          assert.equal(res.status, 200);
        };
        const ids: string[] = [];
        // Ten customers, newest last: 0..9. Even ones are mine, 1 and 3 resolved, 5 read.
        for (let i = 0; i < 10; i++) {
          await fresh.postSigned('/api/whatsapp/incoming', {
            MessageSid: newSid(), AccountSid: 'AC' + '0'.repeat(32), From: `whatsapp:+57319000000${i}`, To: OUR_NUMBER,
            Body: i < 5 ? `cita de control ${i}` : `factura ${i}`, NumMedia: '0', ProfileName: `Cliente ${i}`,
          });
          ids.push((await get<PageDto<ConversationDto>>(`/api/conversations?q=319000000${i}`)).items[0]!.id);
        }
        for (let i = 0; i < 10; i += 2) await patch(ids[i]!, { assigneeId: me });
        await patch(ids[1]!, { status: 'resolved' });
        await patch(ids[3]!, { status: 'resolved' });
        const read = await fetch(`${fresh.baseUrl}/api/conversations/${ids[5]}/read`, { method: 'POST', headers: a.headers });
        assert.equal(read.status, 200);

        const tails = async (query: string) => {
          const seen: string[] = [];
          let cursor: string | null = null;
          do {
            const page: PageDto<ConversationDto> = await get(`/api/conversations?limit=2&${query}${cursor ? `&cursor=${cursor}` : ''}`);
            assert.ok(page.items.length <= 2);
            seen.push(...phonesOf(page).map((p) => p.slice(-1)));
            cursor = page.nextCursor;
          } while (cursor);
          return seen.join('');
        };
        assert.equal(await tails('assignee=me'), '86420');
        assert.equal(await tails(`assignee=${me}`), '86420');
        assert.equal(await tails('assignee=none'), '97531');
        assert.equal(await tails('status=resolved'), '31');
        assert.equal(await tails('status=open'), '98765420');
        assert.equal(await tails('assignee=none&status=open'), '975');
        assert.equal(await tails('unread=true'), '98764321' + '0');
        assert.equal(await tails('assignee=none&unread=true'), '9731');
        assert.equal(await tails('assignee=none&status=open&unread=true'), '97');
        assert.equal(await tails('q=cita&assignee=none'), '31');
        assert.equal(await tails('q=factura&status=open&assignee=me'), '86');
        assert.equal(await tails('unread=false'), '9876543210', 'unread=false filters nothing');

        const counts = await get<ConversationCountsDto>('/api/conversations/counts');
        assert.deepEqual(counts, { mine: 5, unassigned: 5, all: 10, open: 8, resolved: 2, unread: 9 });
        assert.deepEqual(await get<ConversationCountsDto>('/api/conversations/counts?assignee=none&status=open'),
          { mine: 5, unassigned: 3, all: 8, open: 3, resolved: 2, unread: 2 });
        assert.deepEqual(await get<ConversationCountsDto>('/api/conversations/counts?assignee=me&status=open&unread=true'),
          { mine: 5, unassigned: 2, all: 7, open: 5, resolved: 0, unread: 5 });
        // The search narrows every chip as it narrows the list: by text, by name, by phone digits.
        assert.deepEqual(await get<ConversationCountsDto>('/api/conversations/counts?q=cita'),
          { mine: 3, unassigned: 2, all: 5, open: 3, resolved: 2, unread: 5 });
        assert.deepEqual(await get<ConversationCountsDto>('/api/conversations/counts?q=cita&status=open'),
          { mine: 3, unassigned: 0, all: 3, open: 3, resolved: 2, unread: 3 });
        assert.deepEqual(await get<ConversationCountsDto>('/api/conversations/counts?q=Cliente%205'),
          { mine: 0, unassigned: 1, all: 1, open: 1, resolved: 0, unread: 0 });
        assert.deepEqual(await get<ConversationCountsDto>('/api/conversations/counts?q=3190000006&assignee=me'),
          { mine: 1, unassigned: 0, all: 1, open: 1, resolved: 0, unread: 1 });
        assert.deepEqual(await get<ConversationCountsDto>('/api/conversations/counts?q=nadie'),
          { mine: 0, unassigned: 0, all: 0, open: 0, resolved: 0, unread: 0 });
      } finally {
        await fresh.close();
      }
    });

    test('a customer who writes again reopens a resolved conversation, its assignee kept', async () => {
      const c = await inbound('+573180000003', 'gracias');
      await ok(admin, 'PATCH', `/api/conversations/${c.id}`, { assigneeId: agentUser.id, status: 'resolved' });
      const socket = await inbox.connectSocket(agent.cookie);
      const live = record(socket);
      const again = await inbound('+573180000003', 'una pregunta más');
      assert.equal(again.status, 'open');
      assert.deepEqual(again.assignee, { id: agentUser.id, name: 'Laura Gómez' });
      await waitFor(() => live.conversation(c.id)?.status === 'open', 'the reopening live');
    });

    test('an agent who replies in an unassigned conversation takes it (setting on by default; off: it stays unassigned)', async () => {
      const settings = await ok<{ settings: { replyTakesConversation: boolean } }>(agent, 'GET', '/api/auth/me');
      assert.equal(settings.settings.replyTakesConversation, true);

      const c = await inbound('+573180000004', 'necesito una cita');
      const sent = await call(agent, 'POST', `/api/conversations/${c.id}/messages`, { body: 'Con gusto' });
      assert.equal(sent.status, 201);
      const taken = await ok<ConversationDto>(agent, 'GET', `/api/conversations/${c.id}`);
      assert.deepEqual(taken.assignee, { id: agentUser.id, name: 'Laura Gómez' });
      const audit = await ok<PageDto<AuditEntryDto>>(admin, 'GET', '/api/audit?limit=20');
      const take = audit.items.find((e) => e.target === c.id && e.action === 'conversation.assign');
      assert.deepEqual(take?.details, { from: null, to: agentUser.id, reason: 'reply' });
      assert.equal(take?.actor?.id, agentUser.id);

      // Someone else's conversation is not taken by a reply.
      await call(admin, 'POST', `/api/conversations/${c.id}/messages`, { body: 'Le confirmo' });
      assert.equal((await ok<ConversationDto>(admin, 'GET', `/api/conversations/${c.id}`)).assignee?.id, agentUser.id);

      const off = await call<{ replyTakesConversation: boolean }>(admin, 'PUT', '/api/settings', { replyTakesConversation: false });
      assert.equal(off.status, 200);
      assert.equal(off.json.replyTakesConversation, false);
      const d = await inbound('+573180000005', 'hola otra vez');
      assert.equal((await call(agent, 'POST', `/api/conversations/${d.id}/messages`, { body: 'Hola' })).status, 201);
      assert.equal((await ok<ConversationDto>(agent, 'GET', `/api/conversations/${d.id}`)).assignee, null);
      await call(admin, 'PUT', '/api/settings', { replyTakesConversation: true });
    });
  });
}


// Behind a load balancer: an assignment made on instance A reaches a panel connected to B, and
// B's counts (the same database) follow it.
describe('assignment across two instances', { skip: skipTwoInstances }, () => {
  const instances = twoInstances('assign');

  test('assigned and resolved on A: a panel on B sees both live, and its counts move', async () => {
    const [a, b] = [instances.a(), instances.b()];
    const s = await a.login();
    await a.postSigned('/api/whatsapp/incoming', {
      MessageSid: newSid(), AccountSid: 'AC' + '0'.repeat(32), From: 'whatsapp:+573185550000', To: OUR_NUMBER, Body: 'hola', NumMedia: '0', ProfileName: 'Rosa',
    });
    const c = (await (await fetch(`${b.url}/api/conversations`, { headers: s.headers })).json() as PageDto<ConversationDto>).items[0]!;
    const me = (await (await fetch(`${b.url}/api/auth/me`, { headers: s.headers })).json() as { user: UserDto }).user;
    const countsOnB = async () => (await fetch(`${b.url}/api/conversations/counts?status=open`, { headers: s.headers })).json() as Promise<ConversationCountsDto>;
    assert.deepEqual(await countsOnB(), { mine: 0, unassigned: 1, all: 1, open: 1, resolved: 0, unread: 1 });

    const socket = await connectPanelSocket(b.url, s.cookie);
    const panel = record(socket);
    const res = await fetch(`${a.baseUrl}/api/conversations/${c.id}`, {
      method: 'PATCH', headers: { ...s.headers, 'content-type': 'application/json' }, body: JSON.stringify({ assigneeId: me.id, status: 'resolved' }),
    });
    assert.equal(res.status, 200);
    await waitFor(() => panel.conversation(c.id)?.status === 'resolved' && panel.conversation(c.id)?.assignee?.id === me.id, 'the change on B', 10_000);
    assert.deepEqual(await countsOnB(), { mine: 0, unassigned: 0, all: 0, open: 0, resolved: 1, unread: 0 });
    socket.close();
  });
});
