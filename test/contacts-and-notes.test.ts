import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AuditEntryDto, ChangesDto, ContactDto, ConversationDto, ListUpdateDto, NoteDto, PageDto, TimelineItemDto } from '../src/contract/api.ts';
import { databaseKinds } from './support/databases.ts';
import { newSid, OUR_NUMBER, startTestInbox, waitFor, type TestInbox, type TestSession } from './support/inbox.ts';
import { watch } from './support/realtime.ts';

for (const kind of databaseKinds()) {
  describe(`contacts and internal notes (${kind})`, () => {
    let inbox: TestInbox;
    let session: TestSession;
    before(async () => {
      inbox = await startTestInbox({ kind, startWorkers: false });
      session = await inbox.login();
    });
    after(() => inbox.close());

    const call = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> => {
      const res = await fetch(inbox.baseUrl + path, {
        method, headers: { ...session.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as T };
    };
    const get = async <T>(path: string): Promise<T> => {
      const r = await call<T>('GET', path);
      assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.json)}`);
      return r.json;
    };
    const inbound = async (from: string, body: string, profileName: string) => {
      const res = await inbox.postSigned('/api/whatsapp/incoming', {
        MessageSid: newSid(), AccountSid: 'AC' + '0'.repeat(32), From: `whatsapp:${from}`, To: OUR_NUMBER, Body: body, NumMedia: '0', ProfileName: profileName,
      });
      assert.equal(res.status, 200);
    };
    const conversationOf = async (phone: string) => (await get<PageDto<ConversationDto>>(`/api/conversations?q=${phone.slice(1)}`)).items[0]!;
    const audit = async (action: string) => (await get<PageDto<AuditEntryDto>>('/api/audit?limit=200')).items.filter((e) => e.action === action);

    test('a contact keeps its WhatsApp profile name apart; a rename sticks after later ProfileNames; notes are kept', async () => {
      await inbound('+573180000001', 'hola', 'Ana');
      const c = await conversationOf('+573180000001');
      assert.equal(c.contact.name, 'Ana');
      assert.equal(c.contact.profileName, 'Ana');
      assert.equal(c.contact.notes, '');
      assert.ok(Math.abs(Date.parse(c.contact.firstContactAt) - Date.now()) < 60_000, 'first contact: just now');
      assert.equal(c.contact.lastCustomerMessageAt, c.lastInboundAt);

      const renamed = await call<ContactDto>('PATCH', `/api/contacts/${c.contact.id}`, { name: '  Ana María Pérez ', notes: 'Alérgica a la penicilina' });
      assert.equal(renamed.status, 200);
      assert.equal(renamed.json.name, 'Ana María Pérez', 'trimmed');
      assert.equal(renamed.json.notes, 'Alérgica a la penicilina');
      assert.equal(renamed.json.profileName, 'Ana');

      await inbound('+573180000001', 'sigo aquí', 'Anita 🌸');
      let after = await conversationOf('+573180000001');
      assert.equal(after.contact.name, 'Ana María Pérez', 'the rename is kept whatever ProfileName says');
      assert.equal(after.contact.profileName, 'Anita 🌸', 'the profile name is refreshed');
      assert.equal(after.contact.notes, 'Alérgica a la penicilina');

      // Notes alone leave the name; name: null hands it back to WhatsApp's profile.
      assert.equal((await call<ContactDto>('PATCH', `/api/contacts/${c.contact.id}`, { notes: '' })).json.name, 'Ana María Pérez');
      const reset = await call<ContactDto>('PATCH', `/api/contacts/${c.contact.id}`, { name: null });
      assert.equal(reset.json.name, 'Anita 🌸');
      await inbound('+573180000001', 'otra vez', 'Ana P.');
      after = await conversationOf('+573180000001');
      assert.equal(after.contact.name, 'Ana P.', 'after the reset ProfileName names the contact again');
      assert.equal(after.contact.notes, '');

      const rows = await audit('contact.update');
      assert.deepEqual(rows.map((e) => [e.target, e.actor?.email, e.details]).reverse(), [
        [c.contact.id, 'admin@clinica.test', { conversationId: c.id, name: 'Ana María Pérez', notes: 'Alérgica a la penicilina' }],
        [c.contact.id, 'admin@clinica.test', { conversationId: c.id, notes: '' }],
        [c.contact.id, 'admin@clinica.test', { conversationId: c.id, name: null }],
      ]);
    });

    test('a contact edit reaches every panel live in the list entry and through /api/changes', async () => {
      await inbound('+573180000002', 'hola', 'Beto');
      const c = await conversationOf('+573180000002');
      const { seq } = await get<ChangesDto>('/api/changes?after=0');
      const socket = await inbox.connectSocket(session.cookie);
      const updates: ListUpdateDto[] = [];
      socket.on('list:updated', (u) => updates.push(u));
      try {
        assert.equal((await call('PATCH', `/api/contacts/${c.contact.id}`, { name: 'Alberto Gómez' })).status, 200);
        // The customer's message may still be on its way to the list (batches are coalesced): wait
        // for the version the edit wrote, newer than the one read before it.
        const entry = await waitFor(() => updates.flatMap((u) => u.conversations).find((x) => x.id === c.id && x.seq > c.seq), 'the edited list entry');
        assert.equal(entry.contact.name, 'Alberto Gómez');
        const changes = await get<ChangesDto>(`/api/changes?after=${seq}`);
        assert.equal(changes.conversations.find((x) => x.id === c.id)?.contact.name, 'Alberto Gómez');
      } finally {
        socket.disconnect();
      }
    });

    test('notes join the timeline in time order with kind, across cursor pages; no window, unread or last message', async () => {
      await inbound('+573180000003', 'm1', 'Carla');
      const c = await conversationOf('+573180000003');
      await call('POST', `/api/conversations/${c.id}/read`, {});
      const n1 = await call<NoteDto>('POST', `/api/conversations/${c.id}/notes`, { body: ' Llamar el lunes ' });
      assert.equal(n1.status, 201);
      assert.equal(n1.json.kind, 'note');
      assert.equal(n1.json.body, 'Llamar el lunes');
      assert.equal(n1.json.conversationId, c.id);
      assert.equal(n1.json.author?.name, 'Admin');
      await inbound('+573180000003', 'm2', 'Carla');
      await call('POST', `/api/conversations/${c.id}/notes`, { body: 'n2' });
      await call('POST', `/api/conversations/${c.id}/notes`, { body: 'n3' });
      await inbound('+573180000003', 'm3', 'Carla');

      const label = (i: TimelineItemDto) => (i.kind === 'note' ? `note:${i.body}` : `message:${i.body}`);
      const whole = await get<PageDto<TimelineItemDto>>(`/api/conversations/${c.id}/messages`);
      assert.deepEqual(whole.items.map(label), ['message:m1', 'note:Llamar el lunes', 'message:m2', 'note:n2', 'note:n3', 'message:m3']);
      const seen: string[] = [];
      let cursor: string | null = '';
      while (cursor !== null) {
        const page: PageDto<TimelineItemDto> = await get(`/api/conversations/${c.id}/messages?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        seen.unshift(...page.items.map(label));
        cursor = page.nextCursor;
      }
      assert.deepEqual(seen, whole.items.map(label), 'pages of two cover the same timeline, nothing twice, nothing missed');

      const now = await get<ConversationDto>(`/api/conversations/${c.id}`);
      assert.equal(now.lastMessage?.body, 'm3');
      assert.equal(now.unreadCount, 2, 'only the two customer messages since it was read');
      // A note after the customer's last message leaves the window and the last message alone.
      const before = now;
      await call('POST', `/api/conversations/${c.id}/notes`, { body: 'n4' });
      const later = await get<ConversationDto>(`/api/conversations/${c.id}`);
      assert.deepEqual(
        [later.lastMessage?.id, later.lastMessageAt, later.lastInboundAt, later.windowExpiresAt, later.unreadCount, later.seq],
        [before.lastMessage?.id, before.lastMessageAt, before.lastInboundAt, before.windowExpiresAt, before.unreadCount, before.seq],
      );
      // Never sent to WhatsApp: the local Twilio got no message with its text.
      assert.equal((await inbox.db.query("SELECT 1 FROM messages WHERE body IN ('n2', 'n3', 'n4', 'Llamar el lunes')")).rows.length, 0);

      const rows = await audit('note.create');
      assert.ok(rows.some((e) => e.target === n1.json.id && e.details.conversationId === c.id && e.actor?.email === 'admin@clinica.test'));
      const changes = await get<ChangesDto>(`/api/changes?after=${n1.json.seq - 1}`);
      assert.ok(changes.notes.some((n) => n.id === n1.json.id), 'a reconnecting panel gets the notes it missed');
    });

    test('a note reaches the panels with its chat open, and only those', async () => {
      await inbound('+573180000004', 'hola', 'Dora');
      const c = await conversationOf('+573180000004');
      const watching = await inbox.connectSocket(session.cookie);
      const elsewhere = await inbox.connectSocket(session.cookie);
      const got: NoteDto[] = [];
      const gotElsewhere: NoteDto[] = [];
      watching.on('note:new', (n) => got.push(n));
      elsewhere.on('note:new', (n) => gotElsewhere.push(n));
      try {
        assert.equal(await watch(watching, c.id), true);
        assert.equal(await watch(elsewhere, null), true);
        const posted = await call<NoteDto>('POST', `/api/conversations/${c.id}/notes`, { body: 'Paciente pide factura' });
        const live = await waitFor(() => got[0], 'the note event');
        assert.deepEqual(live, posted.json);
        await new Promise((r) => setTimeout(r, 300));
        assert.deepEqual(gotElsewhere, []);
      } finally {
        watching.disconnect();
        elsewhere.disconnect();
      }
    });

    test('unknown ids 404, bad input 400 with a Spanish message', async () => {
      await inbound('+573180000005', 'hola', 'Eva');
      const c = await conversationOf('+573180000005');
      const missing = '00000000-0000-4000-8000-000000000000';
      for (const [method, path, body] of [
        ['PATCH', `/api/contacts/${missing}`, { name: 'X' }],
        ['PATCH', '/api/contacts/not-a-uuid', { name: 'X' }],
        ['POST', `/api/conversations/${missing}/notes`, { body: 'x' }],
        ['POST', '/api/conversations/nope/notes', { body: 'x' }],
      ] as const) {
        const r = await call<{ error: { code: string; messageEs: string } }>(method, path, body);
        assert.equal(r.status, 404, `${method} ${path}`);
        assert.equal(r.json.error.code, 'not_found');
      }
      for (const [method, path, body] of [
        ['PATCH', `/api/contacts/${c.contact.id}`, {}],
        ['PATCH', `/api/contacts/${c.contact.id}`, { name: '   ' }],
        ['PATCH', `/api/contacts/${c.contact.id}`, { name: 'x'.repeat(101) }],
        ['PATCH', `/api/contacts/${c.contact.id}`, { notes: 5 }],
        ['PATCH', `/api/contacts/${c.contact.id}`, { phone: '+1' }],
        ['POST', `/api/conversations/${c.id}/notes`, { body: '  ' }],
        ['POST', `/api/conversations/${c.id}/notes`, { body: 'x'.repeat(4097) }],
        ['POST', `/api/conversations/${c.id}/notes`, {}],
      ] as const) {
        const r = await call<{ error: { code: string; messageEs: string } }>(method, path, body);
        assert.equal(r.status, 400, `${method} ${path} ${JSON.stringify(body)}`);
        assert.equal(r.json.error.code, 'validation');
        assert.match(r.json.error.messageEs, /^Solicitud no válida/);
      }
      const unchanged = await conversationOf('+573180000005');
      assert.equal(unchanged.contact.name, 'Eva');
      assert.deepEqual((await get<PageDto<TimelineItemDto>>(`/api/conversations/${c.id}/messages`)).items.map((i) => i.kind), ['message']);
    });
  });
}
