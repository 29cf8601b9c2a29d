import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConversationDto, MessageDto } from '../src/contract/api.ts';
import { databaseKinds } from './support/databases.ts';
import { newSid, OUR_NUMBER, startTestInbox, type TestInbox } from './support/inbox.ts';

const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const UUID = '00000000-0000-4000-8000-000000000000';

// Times PostgreSQL refused (22007/22009, a 500) or that are not what our own cursors carry.
const BAD_TIMES: unknown[] = [
  '1', '-200000-01-01T00:00:00Z', '+275760-09-13T00:00:00Z', 'March 7', '+002024-01-01T00:00:00.000Z',
  '0000-01-01T00:00:00.000Z', '2024-02-30T00:00:00.000Z', '2024-13-01T00:00:00.000Z', '2024-01-01T24:00:00.000Z',
  '2024-01-01', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00.000+05:00', ' 2024-01-01T00:00:00.000Z', '',
  '2024-01-01T00:00:00.0000Z', '2024-01-01T00:00:00.0000000Z', '2024-02-30T00:00:00.000001Z', '2024-01-01T00:00:00.00000aZ',
  'x'.repeat(300), 1, 1.5e300, -1, true, {}, [], ['2024-01-01T00:00:00.000Z'], { $gt: '' },
];

/** Every crafted cursor for a key with a time field `timeKey`; `at` may be null, `createdAt` may not. */
function badCursors(timeKey: 'at' | 'createdAt'): string[] {
  const good = '2024-01-01T00:00:00.000Z';
  return [
    ...BAD_TIMES.map((t) => encode({ [timeKey]: t, id: UUID })),
    ...(timeKey === 'createdAt' ? [encode({ createdAt: null, id: UUID })] : []),
    encode({ [timeKey]: good }),
    encode({ id: UUID }),
    encode({ [timeKey]: good, id: 'not-a-uuid' }),
    encode({ [timeKey]: good, id: 7 }),
    encode({ [timeKey]: good, id: [UUID] }),
    encode({ [timeKey]: good, id: UUID, extra: 1 }),
    encode({ [timeKey === 'at' ? 'createdAt' : 'at']: good, id: UUID }),
    encode(null), encode(1), encode('x'), encode([good, UUID]), encode([[[[[]]]]]),
    encode({ [timeKey]: 'x'.repeat(320), id: UUID }).slice(0, 500),
    '!!!', '%00', 'not base64 at all', 'e30', // e30 is "{}"
    Buffer.from('{"at":').toString('base64url'),
    Buffer.from([0xff, 0xfe, 0x00]).toString('base64url'),
  ];
}

for (const kind of databaseKinds()) {
  describe(`pagination cursors (${kind})`, () => {
    let inbox: TestInbox;
    let cookie: string;
    let conversationId: string;
    before(async () => {
      inbox = await startTestInbox({ kind, startWorkers: false });
      cookie = await inbox.loginCookie();
      for (let i = 0; i < 5; i++) {
        await inbox.postSigned('/api/whatsapp/incoming', {
          MessageSid: newSid(), AccountSid: 'AC' + '0'.repeat(32), From: `whatsapp:+57318000000${i}`, To: OUR_NUMBER, Body: `hola ${i}`, NumMedia: '0',
        });
      }
      for (let i = 0; i < 4; i++) {
        await inbox.postSigned('/api/whatsapp/incoming', {
          MessageSid: newSid(), AccountSid: 'AC' + '0'.repeat(32), From: 'whatsapp:+573180000000', To: OUR_NUMBER, Body: `otra ${i}`, NumMedia: '0',
        });
      }
      const { rows } = await inbox.db.query<{ id: string }>("SELECT c.id FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE k.phone = '+573180000000'");
      conversationId = rows[0]!.id;
    });
    after(() => inbox.close());

    const get = (path: string) => fetch(inbox.baseUrl + path, { headers: { cookie } });
    async function pages<T extends { id: string }>(path: string): Promise<T[]> {
      const seen: T[] = [];
      let cursor: string | null = null;
      do {
        const res = await get(`${path}?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(res.status, 200, await res.clone().text());
        const page = (await res.json()) as { items: T[]; nextCursor: string | null };
        seen.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return seen;
    }

    for (const [list, timeKey] of [['conversations', 'at'], ['messages', 'createdAt']] as const) {
      const path = () => (list === 'conversations' ? '/api/conversations' : `/api/conversations/${conversationId}/messages`);

      test(`${list}: a cursor that does not decode to our own keyset is 400, and the server still serves`, async () => {
        for (const cursor of badCursors(timeKey)) {
          const res = await get(`${path()}?cursor=${encodeURIComponent(cursor)}`);
          const body = (await res.json()) as { error?: { code: string; messageEs: string } };
          assert.equal(res.status, 400, `cursor ${Buffer.from(cursor, 'base64url').toString('utf8').slice(0, 80)}: ${JSON.stringify(body)}`);
          assert.equal(body.error?.code, 'validation');
          assert.ok(body.error?.messageEs);
        }
        assert.equal((await get(`${path()}?limit=1`)).status, 200, 'the list still answers');
      });

      test(`${list}: real cursors page through everything, and the edges of the accepted range still work`, async () => {
        const all = await pages<ConversationDto | MessageDto>(path());
        assert.equal(all.length, 5, 'five conversations; five messages in the first');
        assert.equal(new Set(all.map((x) => x.id)).size, all.length, 'nothing twice across pages');
        for (const at of ['0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z', '2024-02-29T12:00:00.000Z']) {
          const res = await get(`${path()}?cursor=${encode({ [timeKey]: at, id: UUID })}`);
          assert.equal(res.status, 200, `${at}: ${await res.clone().text()}`);
        }
        for (const at of ['2024-02-29T12:00:00.000001Z', '9999-12-31T23:59:59.999999Z']) {
          const res = await get(`${path()}?cursor=${encode({ [timeKey]: at, id: UUID })}`);
          assert.equal(res.status, 200, `${at}: ${await res.clone().text()}`);
        }
        if (list === 'conversations') {
          assert.equal((await get(`${path()}?cursor=${encode({ at: null, id: UUID })}`)).status, 200, 'a conversation without messages pages with at: null');
        }
      });
    }

    // PostgreSQL keeps microseconds, a JS Date milliseconds: a cursor cut to the millisecond
    // skipped the rows of that millisecond that came after the page's last one (a chat's
    // messages written by one batch, a campaign's conversations).
    test('rows within one millisecond page through whole: none skipped, none twice', async () => {
      await inbox.db.query(
        `UPDATE messages SET created_at = timestamptz '2026-03-01 12:00:00.123+00' + (random() * 900)::int * interval '1 microsecond'
         WHERE conversation_id = $1`, [conversationId]);
      await inbox.db.query(
        `UPDATE conversations SET last_message_at = timestamptz '2026-03-02 12:00:00.456+00' + (random() * 900)::int * interval '1 microsecond'`);
      for (const path of ['/api/conversations', `/api/conversations/${conversationId}/messages`]) {
        const all = await pages<ConversationDto | MessageDto>(path);
        assert.equal(all.length, 5, `${path}: all five`);
        assert.equal(new Set(all.map((x) => x.id)).size, 5, `${path}: nothing twice`);
      }
    });
  });
}
