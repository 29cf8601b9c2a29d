import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { messageRepository } from '../src/db/message-repository.ts';
import { conversationRepository } from '../src/db/conversation-repository.ts';
import { io as connectClient } from 'socket.io-client';
import { LIST_UPDATE_INTERVAL_MS } from '../src/messages/conversation-feed.ts';
import { createStatusBatcher, recordStatus, recordStatuses, type StatusReport } from '../src/messages/record-status.ts';
import { statusRank } from '../src/messages/status-rank.ts';
import { MESSAGE_STATUSES, type MessageStatus } from '../src/contract/api.ts';
import { databaseKinds } from './support/databases.ts';
import { newSid, OUR_NUMBER, startTestInbox, statusParams, waitFor, type TestInbox } from './support/inbox.ts';
import { record, watch } from './support/realtime.ts';

const STATUS = '/api/whatsapp/status';

async function rowsFor(inbox: TestInbox, sid: string) {
  const { rows } = await inbox.db.query<{ id: string; status: string; source: string; error_code: number | null; sent_at: Date | null; delivered_at: Date | null; read_at: Date | null; failed_at: Date | null; body: string | null; body_pending: boolean; conversation_id: string }>(
    'SELECT * FROM messages WHERE sid = $1', [sid],
  );
  return rows;
}

const MESSAGE_CHANGE_KEYS = ['body', 'bodyPending', 'conversationId', 'deliveredAt', 'errorCode', 'errorMessage', 'failedAt', 'id', 'readAt', 'sentAt', 'seq', 'sid', 'status'];

for (const kind of databaseKinds()) {
  describe(`status callback (${kind})`, () => {
    let inbox: TestInbox;
    before(async () => {
      // Workers off: these tests look at the rows the callback itself writes.
      inbox = await startTestInbox({ kind, startWorkers: false });
    });
    after(() => inbox.close());

    test('a new SID is recorded once as an outgoing external message of the customer\'s conversation', async () => {
      const sid = newSid();
      const res = await inbox.postSigned(STATUS, statusParams(sid, 'sent', { to: 'whatsapp:+573001112233' }));
      assert.equal(res.status, 204);
      const rows = await rowsFor(inbox, sid);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.source, 'external');
      assert.equal(rows[0]!.status, 'sent');
      assert.equal(rows[0]!.body_pending, true);
      assert.ok(rows[0]!.sent_at, 'sent_at is set');
      const conversation = await conversationRepository.findDto(inbox.db, rows[0]!.conversation_id);
      assert.equal(conversation?.contact.phone, '+573001112233');
      assert.equal(conversation?.lastMessage?.sid, sid);
      const jobs = await inbox.db.query('SELECT * FROM jobs WHERE message_id = $1', [rows[0]!.id]);
      assert.equal(jobs.rows.length, 1, 'the fetch of its text is queued in the database');
    });

    test('the admin setting decides whether an outside send raises its conversation and counts as unread', async () => {
      const { headers: auth } = await inbox.login();
      const put = (value: boolean) => fetch(`${inbox.baseUrl}/api/settings`, {
        method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ externalRaisesConversation: value }),
      });
      const conversationOf = async (phone: string) =>
        (await inbox.db.query<{ unread_count: number; last_message_at: Date | null }>(
          'SELECT c.unread_count, c.last_message_at FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE k.phone = $1', [phone])).rows[0]!;
      assert.equal((await put(false)).status, 200);
      await inbox.postSigned(STATUS, statusParams(newSid(), 'sent', { to: 'whatsapp:+573007770001' }));
      const quiet = await conversationOf('+573007770001');
      assert.equal(quiet.unread_count, 0);
      assert.equal(quiet.last_message_at, null, 'a campaign does not raise the conversation');
      assert.equal((await put(true)).status, 200);
      await inbox.postSigned(STATUS, statusParams(newSid(), 'sent', { to: 'whatsapp:+573007770001' }));
      const raised = await conversationOf('+573007770001');
      assert.equal(raised.unread_count, 1);
      assert.notEqual(raised.last_message_at, null);
    });

    test('replayed callbacks leave one row and change nothing', async () => {
      const sid = newSid();
      for (let i = 0; i < 5; i++) assert.equal((await inbox.postSigned(STATUS, statusParams(sid, 'delivered'))).status, 204);
      const rows = await rowsFor(inbox, sid);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.status, 'delivered');
    });

    test('50 concurrent callbacks on one new SID give one row with the highest status', async () => {
      const sid = newSid();
      const statuses = ['sent', 'delivered', 'read', 'queued', 'sending'];
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => inbox.postSigned(STATUS, statusParams(sid, statuses[i % statuses.length]!, { to: 'whatsapp:+573009990000' }))),
      );
      assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([204]));
      const rows = await rowsFor(inbox, sid);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.status, 'read');
      assert.ok(rows[0]!.sent_at && rows[0]!.delivered_at && rows[0]!.read_at, 'every status time is kept');
      const contacts = await inbox.db.query("SELECT * FROM contacts WHERE phone = '+573009990000'");
      assert.equal(contacts.rows.length, 1);
    });

    test('many new SIDs for one new customer at once share one conversation', async () => {
      const to = 'whatsapp:+573004445566';
      const sids = Array.from({ length: 20 }, () => newSid());
      await Promise.all(sids.flatMap((sid) => [inbox.postSigned(STATUS, statusParams(sid, 'sent', { to })), inbox.postSigned(STATUS, statusParams(sid, 'delivered', { to }))]));
      const { rows } = await inbox.db.query<{ n: string; c: string }>(
        `SELECT count(*) AS n, count(DISTINCT m.conversation_id) AS c FROM messages m JOIN conversations c ON c.id = m.conversation_id
         JOIN contacts k ON k.id = c.contact_id WHERE k.phone = '+573004445566'`,
      );
      assert.equal(Number(rows[0]!.n), 20);
      assert.equal(Number(rows[0]!.c), 1);
    });

    test('status never moves backwards: delivered before sent stays delivered, and sent still records its time', async () => {
      const sid = newSid();
      await inbox.postSigned(STATUS, statusParams(sid, 'delivered'));
      await inbox.postSigned(STATUS, statusParams(sid, 'sent'));
      const [row] = await rowsFor(inbox, sid);
      assert.equal(row!.status, 'delivered');
      assert.ok(row!.sent_at, 'the time sent was reached is kept');
    });

    test('a late sent never revives a failed message, and failed without ErrorCode keeps the stored error', async () => {
      const sid = newSid();
      await inbox.postSigned(STATUS, statusParams(sid, 'failed', { errorCode: 63016 }));
      await inbox.postSigned(STATUS, statusParams(sid, 'sent'));
      await inbox.postSigned(STATUS, statusParams(sid, 'failed'));
      const [row] = await rowsFor(inbox, sid);
      assert.equal(row!.status, 'failed');
      assert.equal(row!.error_code, 63016);
      assert.ok(row!.failed_at, 'failed_at is set');
    });

    test('several callbacks of one message in one batch leave the row they would leave one by one', async () => {
      // Each scenario runs twice: as one batch (merged into one write per SID) and one report at a time.
      const at = (s: number) => new Date(Date.UTC(2026, 10, 28, 12, 0, s));
      type Step = { status: MessageStatus; s: number; errorCode?: number; errorMessage?: string };
      const scenarios: { name: string; stored?: Step; batch: Step[] }[] = [
        { name: 'new, out of order, a duplicate', batch: [{ status: 'delivered', s: 2 }, { status: 'sent', s: 1 }, { status: 'read', s: 3 }, { status: 'delivered', s: 4 }] },
        { name: 'new, undelivered then failed then a late sent', batch: [
          { status: 'sent', s: 1 }, { status: 'undelivered', s: 2, errorCode: 63024, errorMessage: 'Invalid recipient' },
          { status: 'failed', s: 3, errorCode: 30008, errorMessage: 'Unknown error' }, { status: 'sent', s: 4 }] },
        { name: 'stored, then read before delivered', stored: { status: 'sent', s: 1 }, batch: [{ status: 'read', s: 3 }, { status: 'delivered', s: 2 }] },
        { name: 'stored failed, then read and an error', stored: { status: 'failed', s: 1 }, batch: [{ status: 'read', s: 2 }, { status: 'failed', s: 3, errorCode: 63016 }] },
      ];
      const report = (sid: string, step: Step): StatusReport => ({
        messageSid: sid, status: step.status, from: OUR_NUMBER, to: 'whatsapp:+573005550101', errorCode: step.errorCode ?? null,
        errorMessage: step.errorMessage ?? null, messagingServiceSid: null, messageId: null, at: at(step.s),
      });
      const columns = 'status, error_code, error_message, sent_at, delivered_at, read_at, failed_at';
      for (const sc of scenarios) {
        const batched = newSid(), oneByOne = newSid();
        for (const sid of [batched, oneByOne]) if (sc.stored) await recordStatus(inbox.ctx, report(sid, sc.stored));
        const outcomes = await recordStatuses(inbox.ctx, sc.batch.map((step) => report(batched, step)));
        for (const step of sc.batch) await recordStatus(inbox.ctx, report(oneByOne, step));
        const { rows } = await inbox.db.query(`SELECT sid, ${columns} FROM messages WHERE sid = ANY($1)`, [[batched, oneByOne]]);
        assert.equal(rows.length, 2, `${sc.name}: one row per SID`);
        const [a, b] = [rows.find((r) => r.sid === batched)!, rows.find((r) => r.sid === oneByOne)!];
        assert.deepEqual({ ...a, sid: null }, { ...b, sid: null }, `${sc.name}: the batch leaves the row one-by-one leaves`);
        assert.equal(outcomes.length, sc.batch.length);
        assert.equal(outcomes[0], sc.stored ? 'advanced' : 'recorded', `${sc.name}: the first report carries the outcome`);
        assert.ok(outcomes.slice(1).every((o) => o === 'unchanged'), `${sc.name}: later reports of the SID are merged into it`);
      }
    });

    test('the status order used to merge a batch is SQL\'s wa_status_rank', async () => {
      const { rows } = await inbox.db.query<{ s: MessageStatus; rank: number }>('SELECT s, wa_status_rank(s) AS rank FROM unnest($1::text[]) AS s', [[...MESSAGE_STATUSES]]);
      assert.equal(rows.length, MESSAGE_STATUSES.length);
      for (const r of rows) assert.equal(statusRank(r.s), r.rank, `rank of ${r.s}`);
    });

    test('a burst of callbacks puts the batcher under load (the text fetcher gives way); a trickle does not', async () => {
      const batcher = createStatusBatcher(inbox.ctx);
      const report = (sid: string): StatusReport => ({
        messageSid: sid, status: 'sent', from: OUR_NUMBER, to: 'whatsapp:+573160000001', errorCode: null, errorMessage: null,
        messagingServiceSid: null, messageId: null, at: new Date(),
      });
      await batcher.record(report(newSid()));
      assert.equal(batcher.underLoad(), false, 'one callback is no burst');
      assert.equal(batcher.giveWay(), undefined, 'nothing to wait for');
      // 200 callbacks read from the network together: written as one batch.
      const sids = Array.from({ length: 200 }, () => newSid());
      const outcomes = await Promise.all(sids.map((sid) => batcher.record(report(sid))));
      assert.ok(outcomes.every((o) => o === 'recorded'));
      assert.equal(batcher.underLoad(), true, 'a burst');
      assert.ok(batcher.giveWay() instanceof Promise, 'background work waits');
      // Callbacks one at a time again: the burst is over after a few batches.
      for (let i = 0; i < 12; i++) await batcher.record(report(newSid()));
      assert.equal(batcher.underLoad(), false, 'a trickle');
      const { rows } = await inbox.db.query<{ n: string }>('SELECT count(*) AS n FROM messages WHERE sid = ANY($1)', [sids]);
      assert.equal(Number(rows[0]!.n), 200);
    });

    test('an instance\'s share of a burst behind a load balancer (batches of a dozen) is a burst too', async () => {
      const batcher = createStatusBatcher(inbox.ctx);
      const report = (sid: string): StatusReport => ({
        messageSid: sid, status: 'sent', from: OUR_NUMBER, to: 'whatsapp:+573160000002', errorCode: null, errorMessage: null,
        messagingServiceSid: null, messageId: null, at: new Date(),
      });
      // What each of two instances batched during the campaign bench: about 15 callbacks a batch.
      for (let i = 0; i < 12; i++) await Promise.all(Array.from({ length: 12 }, () => batcher.record(report(newSid()))));
      assert.equal(batcher.underLoad(), true, 'under load: the text fetcher gives way, and a backlog goes to the list fill');
    });

    test('a callback with ?mid= that beats the send\'s answer lands on the panel\'s own row', async () => {
      const conversationId = await conversationRepository.ensureForPhone(inbox.db, '+573151234567');
      const admin = await inbox.db.query<{ id: string }>('SELECT id FROM users LIMIT 1');
      const { id } = await messageRepository.insertPanelMessage(inbox.db, {
        conversationId, body: 'Hola', contentSid: null, contentVariables: null, sentBy: admin.rows[0]!.id, businessAddress: null, messagingServiceSid: null,
      });
      const sid = newSid();
      const to = 'whatsapp:+573151234567';
      await Promise.all([
        inbox.postSigned(`${STATUS}?mid=${id}`, statusParams(sid, 'sent', { to })),
        inbox.postSigned(`${STATUS}?mid=${id}`, statusParams(sid, 'delivered', { to })),
      ]);
      // Twilio's answer to the create call arrives last, with the initial status.
      await messageRepository.attachSid(inbox.db, id, sid, { status: 'queued', errorCode: null, errorMessage: null, at: new Date() }, 'Hola');
      const rows = await rowsFor(inbox, sid);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.id, id);
      assert.equal(rows[0]!.source, 'panel');
      assert.equal(rows[0]!.status, 'delivered');
    });

    test('a ?mid= callback whose SID is already on another row advances that row, and the callbacks batched with it are written', async () => {
      // Twilio's answer and first callbacks were lost: reconciliation recorded the message as sent
      // from outside, while our row still waits without a SID. A late ?mid= callback used to try to
      // put the SID on our row too, broke the unique index, and failed every callback of its batch.
      const to = 'whatsapp:+573151239999';
      const conversationId = await conversationRepository.ensureForPhone(inbox.db, '+573151239999');
      const admin = await inbox.db.query<{ id: string }>('SELECT id FROM users LIMIT 1');
      const ours = await messageRepository.insertPanelMessage(inbox.db, {
        conversationId, body: 'Hola', contentSid: null, contentVariables: null, sentBy: admin.rows[0]!.id, businessAddress: null, messagingServiceSid: null,
      });
      const sid = newSid();
      await recordStatus(inbox.ctx, { messageSid: sid, status: 'sent', from: OUR_NUMBER, to, errorCode: null, errorMessage: null, messagingServiceSid: null, messageId: null, at: new Date(), body: 'Hola' }, 'reconcile');
      const others = [newSid(), newSid()];
      const answers = await Promise.all([
        inbox.postSigned(`${STATUS}?mid=${ours.id}`, statusParams(sid, 'delivered', { to })),
        ...others.map((other) => inbox.postSigned(STATUS, statusParams(other, 'sent', { to }))),
      ]);
      assert.deepEqual(answers.map((a) => a.status), [204, 204, 204]);
      const rows = await rowsFor(inbox, sid);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.status, 'delivered');
      assert.notEqual(rows[0]!.id, ours.id);
      const { rows: [mine] } = await inbox.db.query<{ sid: string | null; status: string }>('SELECT sid, status FROM messages WHERE id = $1', [ours.id]);
      assert.deepEqual(mine, { sid: null, status: 'queued' }, 'our row is left for the unconfirmed-send sweep');
      for (const other of others) assert.equal((await rowsFor(inbox, other)).length, 1, 'the callbacks batched with it are stored');
    });

    test('a wrong or missing signature is refused with 403 and stores nothing', async () => {
      const sid = newSid();
      const params = statusParams(sid, 'sent');
      assert.equal((await inbox.postSigned(STATUS, params, { signature: 'bm90IGEgc2lnbmF0dXJl' })).status, 403);
      assert.equal((await inbox.postSigned(STATUS, params, { signature: null })).status, 403);
      // Signed for another URL (the query string is part of what Twilio signs).
      const res = await fetch(`${inbox.baseUrl}${STATUS}?mid=x`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': (await import('twilio')).default.getExpectedTwilioSignature(inbox.authToken, inbox.baseUrl + STATUS, params) },
        body: new URLSearchParams(params).toString(),
      });
      assert.equal(res.status, 403);
      assert.equal((await rowsFor(inbox, sid)).length, 0);
    });

    test('the signature is checked against BASE_URL, the query string kept exactly as received', async () => {
      const sid = newSid();
      const res = await inbox.postSigned(`${STATUS}?a=1&b=%C3%B1&empty=`, statusParams(sid, 'sent'));
      assert.equal(res.status, 204);
      assert.equal((await rowsFor(inbox, sid)).length, 1);
    });

    test('unknown fields added by Twilio are accepted', async () => {
      const sid = newSid();
      const res = await inbox.postSigned(STATUS, statusParams(sid, 'read', { extra: { EventType: 'READ', SomethingNew: 'x', StructuredMessage: 'false' } }));
      assert.equal(res.status, 204);
    });

    test('GET and PUT answer 405 with Allow: POST', async () => {
      for (const method of ['GET', 'PUT']) {
        const res = await fetch(inbox.baseUrl + STATUS, { method });
        assert.equal(res.status, 405, method);
        assert.equal(res.headers.get('allow'), 'POST');
      }
    });

    test('malformed callbacks get a clear 400 and store nothing; the server keeps serving', async () => {
      const sid = newSid();
      const cases: Record<string, string>[] = [
        { ...statusParams(sid, 'sent'), MessageSid: '' },
        { ...statusParams(sid, 'bogus') },
        { ...statusParams(sid, 'sent'), To: 'not-a-phone' },
        (() => { const p = statusParams(sid, 'sent'); delete (p as Record<string, string>).MessageStatus; return p; })(),
      ];
      for (const params of cases) {
        const res = await inbox.postSigned(STATUS, params);
        assert.equal(res.status, 400, JSON.stringify(params));
        const body = (await res.json()) as { error: { code: string; message: string } };
        assert.equal(body.error.code, 'validation');
      }
      assert.equal((await rowsFor(inbox, sid)).length, 0);
      assert.equal((await fetch(inbox.baseUrl + '/api/health')).status, 200);
    });

    test('a 1 MB body is refused with 413 and a non-UTF-8 body with 400', async () => {
      const big = await fetch(inbox.baseUrl + STATUS, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'x' }, body: 'Body=' + 'a'.repeat(1_000_000),
      });
      assert.equal(big.status, 413);
      const sid = newSid();
      const raw = Buffer.concat([Buffer.from(new URLSearchParams(statusParams(sid, 'sent')).toString() + '&Junk='), Buffer.from([0xff, 0xfe])]);
      const bad = await fetch(inbox.baseUrl + STATUS, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'x' }, body: raw });
      assert.equal(bad.status, 400);
      const badEscape = await fetch(inbox.baseUrl + STATUS, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'x' }, body: 'MessageSid=%FF%FE' });
      assert.equal(badEscape.status, 400);
      assert.equal((await rowsFor(inbox, sid)).length, 0);
      assert.equal((await fetch(inbox.baseUrl + '/api/health')).status, 200);
    });

    test('Socket.IO: every panel gets the list entry; only panels with the chat open get its message events; unauthenticated ones are refused', async () => {
      const cookie = await inbox.loginCookie();
      const listOnly = record(await inbox.connectSocket(cookie));
      const chatSocket = await inbox.connectSocket(cookie);
      const chatOpen = record(chatSocket);
      const sid = newSid();
      await inbox.postSigned(STATUS, statusParams(sid, 'sent'));
      // A new outside message moves its conversation in every panel's list.
      const entry = await waitFor(() => listOnly.conversationOf(sid), 'the list entry on the first panel');
      await waitFor(() => chatOpen.conversationOf(sid), 'the list entry on the second panel');
      assert.equal(entry.lastMessage!.source, 'external');

      assert.equal(await watch(chatSocket, entry.id), true, 'the server acknowledges the open chat');
      await inbox.postSigned(STATUS, statusParams(sid, 'delivered'));
      const updated = await waitFor(() => chatOpen.messages.find((e) => e.message.sid === sid && e.message.status === 'delivered'), 'the status event in the open chat');
      assert.equal(updated.event, 'updated');
      await waitFor(() => listOnly.conversation(entry.id)?.lastMessage?.status === 'delivered', 'the ticks in the other panel\'s list');
      assert.ok(updated.message.seq > entry.lastMessage!.seq, 'the later event has the higher seq');
      assert.deepEqual(listOnly.messages, [], 'a panel without the chat open gets no message events');

      // Closing the chat stops its message events.
      assert.equal(await watch(chatSocket, null), true, 'closing acknowledged');
      await inbox.postSigned(STATUS, statusParams(sid, 'read'));
      await waitFor(() => chatOpen.conversation(entry.id)?.lastMessage?.status === 'read', 'the read tick in the list');
      assert.equal(chatOpen.messages.filter((e) => e.message.status === 'read').length, 0, 'no message event after the chat closed');

      assert.equal(await watch(chatSocket, 'not-a-conversation'), false, 'a malformed id is refused');
      await assert.rejects(inbox.connectSocket(), /unauthenticated/);
      await assert.rejects(inbox.connectSocket('wa_session=forged.value'), /unauthenticated/);
    });

    test('Socket.IO: switching chats (close and open sent back to back) leaves the panel in the new chat\'s room', async () => {
      const cookie = await inbox.loginCookie();
      const socket = await inbox.connectSocket(cookie);
      const panel = record(socket);
      const [first, second] = [newSid(), newSid()];
      await inbox.postSigned(STATUS, statusParams(first, 'sent', { to: 'whatsapp:+573170000101' }));
      await inbox.postSigned(STATUS, statusParams(second, 'sent', { to: 'whatsapp:+573170000102' }));
      const a = await waitFor(() => panel.conversationOf(first), 'first chat in the list');
      const b = await waitFor(() => panel.conversationOf(second), 'second chat in the list');
      assert.equal(await watch(socket, a.id), true, 'watching the first chat');
      // What the panel does on a click: the old chat's cleanup, then the new chat, without waiting.
      const closing = watch(socket, null);
      const opening = watch(socket, b.id);
      assert.deepEqual(await Promise.all([closing, opening]), [true, true], 'both acknowledged');
      await inbox.postSigned(STATUS, statusParams(second, 'delivered', { to: 'whatsapp:+573170000102' }));
      await waitFor(() => panel.messages.find((e) => e.message.sid === second && e.message.status === 'delivered'), 'the second chat\'s event');
    });

    test('Socket.IO: a campaign burst reaches each panel as a few list batches, not one event per callback', async () => {
      const cookie = await inbox.loginCookie();
      const panel = record(await inbox.connectSocket(cookie));
      const sids = Array.from({ length: 60 }, () => newSid());
      const phones = sids.map((_, i) => `whatsapp:+5731700${String(i).padStart(5, '0')}`);
      const started = Date.now();
      await Promise.all(sids.map((sid, i) => inbox.postSigned(STATUS, statusParams(sid, 'sent', { to: phones[i] }))));
      await Promise.all(sids.map((sid, i) => inbox.postSigned(STATUS, statusParams(sid, 'delivered', { to: phones[i] }))));
      await waitFor(() => sids.every((sid) => panel.conversationOf(sid)?.lastMessage?.status === 'delivered'), 'every conversation delivered in the list');
      const batches = panel.batches.filter((b) => b.at >= started).length;
      const span = panel.batches.at(-1)!.at - started;
      // Batches leave an instance at most every LIST_UPDATE_INTERVAL_MS, all after `started` and each
      // before it arrives. (Measured between arrivals, a late first batch squeezed the span.)
      assert.ok(batches <= Math.floor((span + 5) / LIST_UPDATE_INTERVAL_MS) + 1, `${batches} batches in ${span} ms for 120 callbacks`);
      assert.ok(batches < 120, 'coalesced');
      // Status changes travel as what changed, not whole messages (a third of the bytes).
      const changes = panel.batches.flatMap((b) => b.update.messages);
      assert.ok(changes.length > 0, 'status changes reached the list');
      for (const change of changes) assert.deepEqual(Object.keys(change).sort(), MESSAGE_CHANGE_KEYS);
    });

    test('Socket.IO: a page from another site cannot open a socket with our cookie', async () => {
      const cookie = await inbox.loginCookie();
      const socket = connectClient(inbox.baseUrl, { transports: ['websocket'], extraHeaders: { cookie, origin: 'https://evil.example' }, reconnection: false, forceNew: true });
      const refused = await new Promise<boolean>((resolve) => {
        socket.once('connect', () => resolve(false));
        socket.once('connect_error', () => resolve(true));
      });
      socket.close();
      assert.equal(refused, true, 'cross-origin handshake refused');
      const same = connectClient(inbox.baseUrl, { transports: ['websocket'], extraHeaders: { cookie, origin: new URL(inbox.baseUrl).origin }, reconnection: false, forceNew: true });
      const accepted = await new Promise<boolean>((resolve) => {
        same.once('connect', () => resolve(true));
        same.once('connect_error', () => resolve(false));
      });
      same.close();
      assert.equal(accepted, true, 'same-origin handshake accepted');
      // A browser says where the page came from, whatever Origin a proxy in between rewrote.
      const flagged = connectClient(inbox.baseUrl, { transports: ['websocket'], extraHeaders: { cookie, 'sec-fetch-site': 'cross-site' }, reconnection: false, forceNew: true });
      const flaggedRefused = await new Promise<boolean>((resolve) => {
        flagged.once('connect', () => resolve(false));
        flagged.once('connect_error', () => resolve(true));
      });
      flagged.close();
      assert.equal(flaggedRefused, true, 'Sec-Fetch-Site: cross-site refused');
    });
  });
}
