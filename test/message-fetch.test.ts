import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startMessageFetcher } from '../src/messages/message-fetcher.ts';
import { createTemplateCatalog } from '../src/messages/template-catalog.ts';
import { databaseKinds } from './support/databases.ts';
import { startTestInbox, waitFor, type TestInbox } from './support/inbox.ts';
import { record, watch } from './support/realtime.ts';

async function messageBySid(inbox: TestInbox, sid: string) {
  const { rows } = await inbox.db.query<{ id: string; body: string | null; body_pending: boolean; status: string; source: string }>(
    'SELECT id, body, body_pending, status, source FROM messages WHERE sid = $1', [sid],
  );
  return rows;
}

for (const kind of databaseKinds()) {
  describe(`capturing messages sent from outside (${kind})`, () => {
    let inbox: TestInbox;
    before(async () => {
      inbox = await startTestInbox({ kind, lifecycle: { delayMs: 10 } });
    });
    after(() => inbox.close());

    test('a message sent by the Wix site shows with its text, fetched from Twilio, and its final status', async () => {
      const cookie = await inbox.loginCookie();
      const socket = await inbox.connectSocket(cookie);
      const panel = record(socket);
      // The customer wrote first, so WhatsApp's window is open for the site's free text.
      await inbox.local.simulateInbound({ from: 'whatsapp:+573180000001', body: '¿Tienen cita para mañana?' });
      // The agent has the chat open: its message events flow to this panel.
      const chat = await waitFor(() => panel.batches.flatMap((b) => b.update.conversations).find((c) => c.contact.phone === '+573180000001'), 'the conversation in the list');
      assert.equal(await watch(socket, chat.id), true, 'watching the chat');
      const { sid } = await inbox.local.simulateExternalSend({ to: 'whatsapp:+573180000001', body: 'Su cita quedó agendada ✅' });
      const row = await waitFor(async () => {
        const rows = await messageBySid(inbox, sid);
        return rows[0] && !rows[0].body_pending && rows[0].status === 'read' ? rows : undefined;
      }, 'captured message with text');
      assert.equal(row.length, 1);
      assert.equal(row[0]!.source, 'external');
      assert.equal(row[0]!.body, 'Su cita quedó agendada ✅');
      await waitFor(() => panel.messages.some((e) => e.message.sid === sid && e.message.body === 'Su cita quedó agendada ✅'), 'an event carrying the text');
      await waitFor(() => panel.conversation(chat.id)?.lastMessage?.body === 'Su cita quedó agendada ✅', 'the text in the list preview');
    });

    test('a template sent through a Messaging Service whose body comes back empty is never a blank bubble', async () => {
      const { sid } = await inbox.local.simulateExternalSend({ to: 'whatsapp:+573180000002', viaService: true, ...(await firstTemplate(inbox)) });
      const rows = await waitFor(async () => {
        const r = await messageBySid(inbox, sid);
        return r[0] && !r[0].body_pending ? r : undefined;
      }, 'fetch done');
      // We cannot know an outside template's text when Twilio returns "": the body stays null and
      // the panel shows a clear placeholder (never an empty string).
      assert.notEqual(rows[0]!.body, '');
    });
  });

  describe(`background fetch survives a restart (${kind})`, () => {
    let inbox: TestInbox;
    before(async () => {
      inbox = await startTestInbox({ kind, startWorkers: false, lifecycle: { delayMs: 10, statuses: ['sent'] } });
    });
    after(() => inbox.close());

    test('jobs queued before the restart are done after it', async () => {
      const { sid } = await inbox.local.simulateExternalSend({ to: 'whatsapp:+573180000003', body: 'Recuerde traer su documento' });
      await waitFor(async () => (await messageBySid(inbox, sid)).length === 1, 'callback recorded');
      await inbox.local.idle();
      let rows = await messageBySid(inbox, sid);
      assert.equal(rows[0]!.body_pending, true, 'no worker ran yet');
      const jobs = await inbox.db.query('SELECT * FROM jobs');
      assert.equal(jobs.rows.length, 1);

      await inbox.restartServer({ startWorkers: true });
      rows = await waitFor(async () => {
        const r = await messageBySid(inbox, sid);
        return r[0] && !r[0].body_pending ? r : undefined;
      }, 'text fetched after restart');
      assert.equal(rows[0]!.body, 'Recuerde traer su documento');
      assert.equal((await inbox.db.query('SELECT * FROM jobs')).rows.length, 0);
    });

    test('during a burst of callbacks the fetcher waits before its requests to Twilio, then fetches', async () => {
      await inbox.restartServer({ startWorkers: false });
      const { sid } = await inbox.local.simulateExternalSend({ to: 'whatsapp:+573180000005', body: 'Texto que espera su turno' });
      await waitFor(async () => (await messageBySid(inbox, sid)).length === 1, 'callback recorded');
      let asked = 0;
      let letGo!: () => void;
      const gate = new Promise<void>((resolve) => { letGo = resolve; });
      const fetcher = startMessageFetcher({ ...inbox.ctx, templates: createTemplateCatalog(inbox.ctx.twilio) }, { giveWay: () => { asked++; return gate; } });
      try {
        await waitFor(() => asked > 0, 'the fetcher asked whether to wait');
        await new Promise((r) => setTimeout(r, 300));
        assert.equal((await messageBySid(inbox, sid))[0]!.body_pending, true, 'nothing fetched while it waits');
        letGo();
        const rows = await waitFor(async () => {
          const r = await messageBySid(inbox, sid);
          return r[0] && !r[0].body_pending ? r : undefined;
        }, 'text fetched once it may go on');
        assert.equal(rows[0]!.body, 'Texto que espera su turno');
      } finally {
        letGo();
        await fetcher.stop();
      }
    });

    test('a failing Twilio is retried with backoff, not dropped', async () => {
      await inbox.restartServer({ startWorkers: false });
      const { sid } = await inbox.local.simulateExternalSend({ to: 'whatsapp:+573180000004', body: 'Hola' });
      await waitFor(async () => (await messageBySid(inbox, sid)).length === 1, 'callback recorded');
      inbox.local.injectFault({ status: 500, pathContains: `/Messages/${sid}` });
      await inbox.restartServer({ startWorkers: true });
      const job = await waitFor(async () => {
        const { rows } = await inbox.db.query<{ attempts: number; last_error: string; run_at: Date }>('SELECT attempts, last_error, run_at FROM jobs');
        return rows[0] && rows[0].attempts >= 1 && rows[0].last_error ? rows[0] : undefined;
      }, 'a failed attempt');
      assert.ok(new Date(job.run_at).getTime() > Date.now(), 'the retry is scheduled later');
      inbox.local.injectFault(null);
      await inbox.db.query('UPDATE jobs SET run_at = now()');
      inbox.fetcher!.wake();
      const rows = await waitFor(async () => {
        const r = await messageBySid(inbox, sid);
        return r[0] && !r[0].body_pending ? r : undefined;
      }, 'text fetched after the fault clears');
      assert.equal(rows[0]!.body, 'Hola');
    });
  });
}

async function firstTemplate(inbox: TestInbox) {
  const { createTwilioGateway } = await import('../src/twilio/gateway.ts');
  const gw = createTwilioGateway({ accountSid: inbox.accountSid, authToken: inbox.authToken, whatsappFrom: null, messagingServiceSid: null, apiUrl: inbox.local.url });
  const t = (await gw.listTemplates())[0]!;
  return { contentSid: t.sid, contentVariables: { 1: 'Ana', 2: 'lunes', 3: '9:00' } };
}
