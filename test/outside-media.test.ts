import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import twilio from 'twilio';
import { backfill } from '../src/cli/backfill.ts';
import type { MessageDto, PageDto, TimelineItemDto } from '../src/contract/api.ts';
import { checkpointRepository } from '../src/db/settings-repository.ts';
import { createTwilioHttpClient } from '../src/twilio/http-client.ts';
import { databaseKinds } from './support/databases.ts';
import { solidPng, startImageServer, type ImageServer } from './support/image-server.ts';
import { OUR_NUMBER, startTestInbox, waitFor, type TestInbox } from './support/inbox.ts';
import { record, watch } from './support/realtime.ts';

// Media of messages someone else sent through the same Twilio account (the Wix site, a script):
// the status callback tells us only that a message went out; its media are listed from Twilio
// and shown as a customer's media are, through the logged-in proxy.

const PHOTO = solidPng(4, 3, [200, 30, 30]);
const PDF = Buffer.from('%PDF-1.1\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

type Row = { id: string; body: string | null; body_pending: boolean; media: { url: string | null; contentType: string | null }[]; captured_via: string; status: string; conversation_id: string };

async function rowOf(inbox: TestInbox, sid: string): Promise<Row | undefined> {
  const { rows } = await inbox.db.query<Row>('SELECT id, body, body_pending, media, captured_via, status, conversation_id FROM messages WHERE sid = $1', [sid]);
  return rows[0];
}

/** Waits until the message's text and media were fetched. */
const fetched = (inbox: TestInbox, sid: string, what: string) =>
  waitFor(async () => {
    const row = await rowOf(inbox, sid);
    return row && !row.body_pending && row.media.length > 0 ? row : undefined;
  }, what, 15_000);

for (const kind of databaseKinds()) {
  describe(`media of messages sent from outside (${kind})`, () => {
    let inbox: TestInbox;
    let site: ImageServer;
    /** The Wix site: the official library with the account's own credentials, sending straight to (the local) Twilio. */
    let wix: ReturnType<typeof twilio>;
    const customer = 'whatsapp:+573201110000';

    before(async () => {
      inbox = await startTestInbox({ kind, lifecycle: { delayMs: 10 } });
      site = await startImageServer({ '/fotos/examen.png': { bytes: PHOTO, contentType: 'image/png' }, '/docs/certificado.pdf': { bytes: PDF, contentType: 'application/pdf' } });
      wix = twilio(inbox.accountSid, inbox.authToken, { httpClient: createTwilioHttpClient({ apiUrl: inbox.local.url, timeoutMs: 10_000 }) });
      // The customer wrote first: WhatsApp's window is open for the site's media.
      await inbox.local.simulateInbound({ from: customer, body: 'Buenos días, ¿me envían el resultado?' });
    });
    after(async () => {
      await inbox.close();
      await site.close();
    });

    test('a photo sent with no text shows as a photo: stored from Twilio\'s Media list, served by the proxy with a session, live in the open chat', async () => {
      const { cookie } = await inbox.login();
      const socket = await inbox.connectSocket(cookie);
      const panel = record(socket);
      const conversationId = await waitFor(async () => {
        const { rows } = await inbox.db.query<{ conversation_id: string }>(`SELECT conversation_id FROM messages WHERE direction = 'inbound' LIMIT 1`);
        return rows[0]?.conversation_id;
      }, 'the customer\'s conversation');
      assert.equal(await watch(socket, conversationId), true);

      // Twilio takes its time listing the media: the list has announced the new message before they
      // come, so they reach the list as a change of that message.
      inbox.local.injectFault({ delayMs: 1_000, pathContains: '/Media.json' });
      const sent = await wix.messages.create({ from: OUR_NUMBER, to: customer, mediaUrl: [`${site.url}/fotos/examen.png`] });
      assert.equal(sent.numMedia, '1');
      const row = await fetched(inbox, sent.sid, 'the photo listed from Twilio').finally(() => inbox.local.injectFault(null));
      assert.equal(row.conversation_id, conversationId);
      assert.equal(row.captured_via, 'callback');
      assert.equal(row.body, '', 'a media-only message has no text (and no template label to stand in for one)');
      assert.equal(row.media.length, 1);
      assert.equal(row.media[0]!.contentType, 'image/png', 'the type the site served, as Twilio lists it');
      assert.match(row.media[0]!.url!, new RegExp(`^${inbox.local.url}/2010-04-01/Accounts/${inbox.accountSid}/Messages/${sent.sid}/Media/ME[0-9a-f]{32}$`));
      assert.ok(site.fetched.includes('/fotos/examen.png'), 'Twilio downloaded the file from the site');

      const page = (await (await fetch(`${inbox.baseUrl}/api/conversations/${conversationId}/messages`, { headers: { cookie } })).json()) as PageDto<TimelineItemDto>;
      const shown = page.items.find((m): m is MessageDto => m.kind === 'message' && m.sid === sent.sid)!;
      assert.deepEqual(shown.media, [{ url: `/api/media/${row.id}/0`, contentType: 'image/png' }]);
      assert.equal(shown.source, 'external');

      const withSession = await fetch(`${inbox.baseUrl}${shown.media[0]!.url}`, { headers: { cookie } });
      assert.equal(withSession.status, 200);
      assert.equal(withSession.headers.get('content-type'), 'image/png');
      assert.deepEqual(Buffer.from(await withSession.arrayBuffer()), PHOTO, 'the very bytes the site served');
      const without = await fetch(`${inbox.baseUrl}${shown.media[0]!.url}`);
      assert.equal(without.status, 401);
      assert.equal(without.headers.get('content-type')?.startsWith('image/'), false, 'no bytes without a session');

      const live = await waitFor(() => panel.messages.find((e) => e.message.sid === sent.sid && e.message.media.length === 1), 'the open chat got the message with its photo');
      assert.deepEqual(live.message.media, shown.media);
      await waitFor(() => panel.conversation(conversationId)?.lastMessage?.media?.[0]?.contentType === 'image/png', 'the list preview holds the photo');
      socket.disconnect();
    });

    test('a document with text: the text is its caption, the document its media item', async () => {
      const sent = await wix.messages.create({ from: OUR_NUMBER, to: customer, body: 'Su certificado de aptitud laboral', mediaUrl: [`${site.url}/docs/certificado.pdf`] });
      const row = await fetched(inbox, sent.sid, 'the document listed');
      assert.equal(row.body, 'Su certificado de aptitud laboral');
      assert.deepEqual(row.media.map((m) => m.contentType), ['application/pdf']);
    });

    test('Twilio failing to list the media is retried like a failed text fetch; a 404 leaves the text without media', async () => {
      inbox.local.injectFault({ status: 500, pathContains: '/Media.json' });
      const sent = await wix.messages.create({ from: OUR_NUMBER, to: customer, body: 'Foto de su examen', mediaUrl: [`${site.url}/fotos/examen.png`] });
      const job = await waitFor(async () => {
        const { rows } = await inbox.db.query<{ attempts: number; last_error: string | null }>('SELECT j.attempts, j.last_error FROM jobs j JOIN messages m ON m.id = j.message_id WHERE m.sid = $1', [sent.sid]);
        return rows[0]?.last_error ? rows[0] : undefined;
      }, 'a failed attempt, kept for later', 15_000);
      assert.ok(job.attempts >= 1);
      assert.equal((await rowOf(inbox, sent.sid))!.body_pending, true, 'nothing half-written: the text waits for its media');
      inbox.local.injectFault(null);
      await inbox.db.query('UPDATE jobs SET run_at = now()');
      inbox.fetcher!.wake();
      const row = await fetched(inbox, sent.sid, 'the media listed on the retry');
      assert.equal(row.body, 'Foto de su examen');

      inbox.local.injectFault({ status: 404, pathContains: '/Media.json' });
      const gone = await wix.messages.create({ from: OUR_NUMBER, to: customer, body: 'Otra foto', mediaUrl: [`${site.url}/fotos/examen.png`] });
      const text = await waitFor(async () => {
        const r = await rowOf(inbox, gone.sid);
        return r && !r.body_pending ? r : undefined;
      }, 'the text stored', 15_000);
      inbox.local.injectFault(null);
      assert.equal(text.body, 'Otra foto');
      assert.deepEqual(text.media, []);
      assert.equal((await inbox.db.query('SELECT 1 FROM jobs j JOIN messages m ON m.id = j.message_id WHERE m.sid = $1', [gone.sid])).rows.length, 0, 'no job left behind');
    });

    test('found by reconcile (callbacks lost): the outside photo and a customer\'s photo get their media', async () => {
      await checkpointRepository.set(inbox.db, 'reconcile_since', new Date(Date.now() - 60_000).toISOString());
      await inbox.stopServer();
      const sent = await wix.messages.create({ from: OUR_NUMBER, to: customer, mediaUrl: [`${site.url}/fotos/examen.png`] });
      const inbound = await inbox.local.simulateInbound({ from: customer, media: [{ url: `data:image/png;base64,${PHOTO.toString('base64')}`, contentType: 'image/png' }] });
      await inbox.local.idle();
      await inbox.restartServer();
      assert.equal(await rowOf(inbox, sent.sid), undefined, 'the callbacks were lost');
      const counts = await inbox.reconciler!.runOnce();
      assert.ok(counts && counts.new >= 2);
      for (const sid of [sent.sid, inbound.sid]) {
        const row = await fetched(inbox, sid, `the media of ${sid}`);
        assert.equal(row.captured_via, 'reconcile');
        assert.deepEqual(row.media.map((m) => m.contentType), ['image/png']);
        assert.equal(row.body, '');
        const { cookie } = await inbox.login();
        const bytes = await fetch(`${inbox.baseUrl}/api/media/${row.id}/0`, { headers: { cookie } });
        assert.deepEqual(Buffer.from(await bytes.arrayBuffer()), PHOTO);
      }
      const again = await inbox.reconciler!.runOnce();
      assert.equal(again!.new, 0, 'a second pass records nothing twice');
    });

    test('found by backfill: the outside photo gets its media', async () => {
      await inbox.stopServer();
      const since = new Date(Date.now() - 5_000);
      const sent = await wix.messages.create({ from: OUR_NUMBER, to: customer, body: 'Resultado', mediaUrl: [`${site.url}/fotos/examen.png`] });
      await inbox.local.idle();
      await inbox.restartServer();
      const counts = await backfill(inbox.ctx, { since, until: new Date() }, { restart: true });
      assert.ok(counts.new >= 1);
      const row = await fetched(inbox, sent.sid, 'the media of the backfilled message');
      assert.equal(row.captured_via, 'backfill');
      assert.equal(row.body, 'Resultado');
      assert.deepEqual(row.media.map((m) => m.contentType), ['image/png']);
    });

    test('the local Twilio fails a message whose MediaUrl cannot be downloaded, with Twilio\'s media error', async () => {
      const sent = await wix.messages.create({ from: OUR_NUMBER, to: customer, mediaUrl: [`${site.url}/no-existe.png`] });
      const row = await waitFor(async () => {
        const r = await rowOf(inbox, sent.sid);
        return r && r.status === 'failed' ? r : undefined;
      }, 'the failed message', 15_000);
      const { rows } = await inbox.db.query<{ error_code: number }>('SELECT error_code FROM messages WHERE id = $1', [row.id]);
      assert.equal(rows[0]!.error_code, 63019);
    });
  });
}
