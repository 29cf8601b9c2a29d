import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ApiError, ConversationCountsDto, ConversationDto, ContactDto, MessageSearchHitDto, PageDto } from '../src/contract/api.ts';
import { databaseKinds } from './support/databases.ts';
import { newSid, OUR_NUMBER, startTestInbox, type TestInbox, type TestSession } from './support/inbox.ts';

// Search as the clinic's staff type it: no accents, any case ("campana" for "Campaña", "nunez"
// for "Núñez"), over contact names (ours and WhatsApp's), phones and every message's text.
for (const kind of databaseKinds()) {
  describe(`search that finds (${kind})`, () => {
    let inbox: TestInbox;
    let session: TestSession;
    before(async () => {
      inbox = await startTestInbox({ kind, startWorkers: false });
      session = await inbox.login();
      await inbound('+573180000001', 'Quiero saber de la Campaña de vacunación', 'María Núñez');
      await inbound('+573180000002', 'Hola, ¿atienden el sábado?', 'Pedro Gómez');
      await inbound('+573180000002', 'Es para el examen de ingreso', 'Pedro Gómez');
      await inbound('+573180000003', 'Descuento del 100% y del 10_5', 'Lucía');
      await inbound('+573180000001', 'La CAMPAÑA sigue?', 'María Núñez');
    });
    after(() => inbox.close());

    async function inbound(from: string, body: string, profileName: string) {
      const res = await inbox.postSigned('/api/whatsapp/incoming', {
        MessageSid: newSid(), AccountSid: 'AC' + '0'.repeat(32), From: `whatsapp:${from}`, To: OUR_NUMBER, Body: body, NumMedia: '0', ProfileName: profileName,
      });
      assert.equal(res.status, 200);
    }
    const call = (path: string) => fetch(inbox.baseUrl + path, { headers: session.headers });
    async function get<T>(path: string): Promise<T> {
      const res = await call(path);
      assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
      return res.json() as Promise<T>;
    }
    const listed = async (q: string) =>
      (await get<PageDto<ConversationDto>>(`/api/conversations?q=${encodeURIComponent(q)}`)).items.map((c) => c.contact.phone).sort();

    test('the list: case and accents ignored, on names, profile names, phones and text', async () => {
      assert.deepEqual(await listed('campana'), ['+573180000001'], 'campana finds Campaña');
      assert.deepEqual(await listed('VACUNACION'), ['+573180000001']);
      assert.deepEqual(await listed('nunez'), ['+573180000001'], 'nunez finds Núñez');
      assert.deepEqual(await listed('lucia'), ['+573180000003']);
      assert.deepEqual(await listed('sabado'), ['+573180000002']);
      assert.deepEqual(await listed('0000002'), ['+573180000002'], 'phone digits');
      assert.deepEqual(await listed('100%'), ['+573180000003'], 'a % is a percent sign, not a wildcard');
      assert.deepEqual(await listed('10_5'), ['+573180000003'], 'an _ is itself');
      assert.deepEqual(await listed('1%0'), [], '% matches nothing else');
      assert.deepEqual(await listed('examen campana'), [], 'the words are one phrase');

      // A contact renamed by the team is still found by the name WhatsApp gave it.
      const maria = (await get<PageDto<ConversationDto>>('/api/conversations?q=nunez')).items[0]!;
      const renamed = await fetch(`${inbox.baseUrl}/api/contacts/${maria.contact.id}`, {
        method: 'PATCH', headers: { ...session.headers, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Doña Mary' }),
      });
      assert.equal(renamed.status, 200, await renamed.clone().text());
      assert.equal(((await renamed.json()) as ContactDto).name, 'Doña Mary');
      assert.deepEqual(await listed('dona mary'), ['+573180000001']);
      assert.deepEqual(await listed('maria nunez'), ['+573180000001']);

      const counts = await get<ConversationCountsDto>('/api/conversations/counts?q=campana');
      assert.equal(counts.all, 1, 'the chips count what the search finds');
    });

    test('messages: each match with its conversation, newest first, paged', async () => {
      const all = await get<PageDto<MessageSearchHitDto>>('/api/search/messages?q=campana');
      assert.deepEqual(all.items.map((h) => h.message.body), ['La CAMPAÑA sigue?', 'Quiero saber de la Campaña de vacunación']);
      assert.ok(all.items.every((h) => h.conversation.contact.phone === '+573180000001' && h.conversation.id === h.message.conversationId));
      assert.equal(all.nextCursor, null);

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: PageDto<MessageSearchHitDto> = await get(`/api/search/messages?q=E&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        assert.ok(page.items.length <= 2);
        seen.push(...page.items.map((h) => h.message.id));
        cursor = page.nextCursor;
      } while (cursor);
      assert.equal(seen.length, 5, 'every message holds an "e"');
      assert.equal(new Set(seen).size, 5, 'none twice across pages');

      assert.deepEqual((await get<PageDto<MessageSearchHitDto>>('/api/search/messages?q=nadie')).items, []);
    });

    test('bad searches are 400 and the server keeps serving; without a session 401', async () => {
      for (const path of ['/api/search/messages', '/api/search/messages?q=', '/api/search/messages?q=%20%20', `/api/search/messages?q=${'x'.repeat(201)}`,
        '/api/search/messages?q=a&cursor=nope', '/api/search/messages?q=a&limit=0']) {
        const res = await call(path);
        assert.equal(res.status, 400, path);
        assert.equal(((await res.json()) as ApiError).error.code, 'validation');
      }
      assert.equal((await fetch(inbox.baseUrl + '/api/search/messages?q=campana')).status, 401);
      assert.equal((await call('/api/search/messages?q=campana')).status, 200);
    });

    test('the trigram indexes can serve every side of the search', async () => {
      // Few rows here: the planner would read the table anyway; with that way closed it must find the index.
      const plan = await inbox.db.transaction(async (tx) => {
        await tx.exec('SET LOCAL enable_seqscan = off');
        const lines: string[] = [];
        for (const sql of [
          `EXPLAIN SELECT id FROM messages WHERE search_text(body) LIKE '%' || search_text('campana') || '%'`,
          `EXPLAIN SELECT k.id FROM contacts k WHERE search_text(coalesce(k.name, '') || ' ' || coalesce(k.profile_name, '')) LIKE '%nunez%'`,
          `EXPLAIN SELECT id FROM contacts WHERE ltrim(phone, '+') LIKE '%0000002%'`,
        ]) lines.push(...(await tx.query<{ 'QUERY PLAN': string }>(sql)).rows.map((r) => r['QUERY PLAN']));
        return lines.join('\n');
      });
      for (const index of ['messages_body_search', 'contacts_name_search', 'contacts_phone_digits_search']) assert.match(plan, new RegExp(index), plan);
    });
  });
}
