import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConversationDto, MessageDto } from '../src/contract/api.ts';
import { databaseKinds } from './support/databases.ts';
import { newSid, OUR_NUMBER, startTestInbox, statusParams, type TestInbox } from './support/inbox.ts';

for (const kind of databaseKinds()) {
  describe(`read API (${kind})`, () => {
    let inbox: TestInbox;
    let cookie: string;
    let csrfToken: string;
    before(async () => {
      inbox = await startTestInbox({ kind, startWorkers: false });
      ({ cookie, csrfToken } = await inbox.login());
    });
    after(() => inbox.close());

    const get = async <T>(path: string): Promise<T> => {
      const res = await fetch(inbox.baseUrl + path, { headers: { cookie } });
      assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
      return res.json() as Promise<T>;
    };
    const inbound = (from: string, body: string, profileName: string) => {
      const sid = newSid();
      return inbox.postSigned('/api/whatsapp/incoming', {
        MessageSid: sid, AccountSid: 'AC' + '0'.repeat(32), From: `whatsapp:${from}`, To: OUR_NUMBER, Body: body, NumMedia: '0', ProfileName: profileName,
      });
    };

    test('conversations: newest activity first, unread counts, cursor pages, search by name, phone and text', async () => {
      for (let i = 0; i < 7; i++) await inbound(`+57317000000${i}`, `mensaje número ${i}`, `Paciente ${i}`);
      await inbound('+573170000002', 'resultado de laboratorio listo', 'Paciente 2');
      const first = await get<{ items: ConversationDto[]; nextCursor: string | null }>('/api/conversations?limit=3');
      assert.deepEqual(first.items.map((c) => c.contact.phone), ['+573170000002', '+573170000006', '+573170000005']);
      assert.equal(first.items[0]!.unreadCount, 2);
      assert.equal(first.items[0]!.lastMessage?.body, 'resultado de laboratorio listo');
      const seen = [...first.items];
      let cursor = first.nextCursor;
      while (cursor) {
        const page = await get<{ items: ConversationDto[]; nextCursor: string | null }>(`/api/conversations?limit=3&cursor=${cursor}`);
        seen.push(...page.items);
        cursor = page.nextCursor;
      }
      assert.equal(seen.length, 7);
      assert.equal(new Set(seen.map((c) => c.id)).size, 7, 'no conversation twice across pages');

      assert.deepEqual((await get<{ items: ConversationDto[] }>('/api/conversations?q=paciente%204')).items.map((c) => c.contact.phone), ['+573170000004']);
      assert.deepEqual((await get<{ items: ConversationDto[] }>('/api/conversations?q=3170000003')).items.map((c) => c.contact.phone), ['+573170000003']);
      assert.deepEqual((await get<{ items: ConversationDto[] }>('/api/conversations?q=laboratorio')).items.map((c) => c.contact.phone), ['+573170000002']);
      assert.deepEqual((await get<{ items: ConversationDto[] }>('/api/conversations?q=%25')).items, [], 'a % is searched literally');
    });

    test('messages: pages from newest, each oldest to newest; read resets the unread count', async () => {
      const phone = '+573171111111';
      for (let i = 0; i < 5; i++) await inbound(phone, `m${i}`, 'Lucía');
      const list = await get<{ items: ConversationDto[] }>(`/api/conversations?q=${phone.slice(1)}`);
      const c = list.items[0]!;
      const p1 = await get<{ items: MessageDto[]; nextCursor: string }>(`/api/conversations/${c.id}/messages?limit=2`);
      assert.deepEqual(p1.items.map((m) => m.body), ['m3', 'm4']);
      const p2 = await get<{ items: MessageDto[]; nextCursor: string }>(`/api/conversations/${c.id}/messages?limit=2&cursor=${p1.nextCursor}`);
      assert.deepEqual(p2.items.map((m) => m.body), ['m1', 'm2']);
      const p3 = await get<{ items: MessageDto[]; nextCursor: string | null }>(`/api/conversations/${c.id}/messages?limit=2&cursor=${p2.nextCursor}`);
      assert.deepEqual(p3.items.map((m) => m.body), ['m0']);
      assert.equal(p3.nextCursor, null);

      const res = await fetch(`${inbox.baseUrl}/api/conversations/${c.id}/read`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrfToken } });
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as ConversationDto).unreadCount, 0);
    });

    test('changes after a seq return everything written since, so a reconnecting panel misses nothing', async () => {
      const start = await get<{ seq: number }>('/api/changes?after=0');
      const sid = newSid();
      await inbox.postSigned('/api/whatsapp/status', statusParams(sid, 'sent', { to: 'whatsapp:+573172222222' }));
      await inbox.postSigned('/api/whatsapp/status', statusParams(sid, 'read', { to: 'whatsapp:+573172222222' }));
      const changes = await get<{ messages: MessageDto[]; conversations: ConversationDto[]; seq: number }>(`/api/changes?after=${start.seq}`);
      assert.deepEqual(changes.messages.map((m) => [m.sid, m.status]), [[sid, 'read']]);
      assert.deepEqual(changes.conversations.map((c) => c.contact.phone), ['+573172222222']);
      assert.ok(changes.seq > start.seq, 'the seq moved forward');
      assert.deepEqual((await get<{ messages: MessageDto[] }>(`/api/changes?after=${changes.seq}`)).messages, []);
    });

    test('unknown conversation 404, bad cursor 400, no session 401', async () => {
      const r1 = await fetch(`${inbox.baseUrl}/api/conversations/00000000-0000-4000-8000-000000000000/messages`, { headers: { cookie } });
      assert.equal(r1.status, 404);
      const r2 = await fetch(`${inbox.baseUrl}/api/conversations?cursor=garbage`, { headers: { cookie } });
      assert.equal(r2.status, 400);
      const r3 = await fetch(`${inbox.baseUrl}/api/conversations`);
      assert.equal(r3.status, 401);
    });
  });
}
