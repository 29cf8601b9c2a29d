import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import twilio from 'twilio';
import { EVENTS_PATH } from '../src/http/routes/twilio-events.ts';
import type { ApiError, AuditEntryDto, ConversationCountsDto, ConversationDto, NewConversationResultDto, PageDto, SenderDto, TemplateDto } from '../src/contract/api.ts';
import { reconcileRange } from '../src/messages/reconcile.ts';
import { databaseKinds } from './support/databases.ts';
import {
  callApi, connectPanelSocket, newSid, OUR_NUMBER, skipTwoInstances, startTestInbox, statusParams, twoInstances, waitFor, type TestInbox, type TestSession } from './support/inbox.ts';

// Several WhatsApp numbers: a conversation is one of our senders × one customer.
const SECOND = 'whatsapp:+573001110000';

for (const kind of databaseKinds()) {
  for (const viaService of [false, true]) {
    describe(`two WhatsApp senders${viaService ? ' in a Messaging Service' : ''} (${kind})`, () => {
      let inbox: TestInbox;
      let admin: TestSession;
      let agent: TestSession;
      let template: TemplateDto;

      const call = <T>(s: TestSession, method: string, path: string, body?: unknown) => callApi<T>(inbox.baseUrl, s, method, path, body);
      const senders = async () => (await call<{ items: SenderDto[] }>(agent, 'GET', '/api/senders')).json.items;
      const senderId = async (address: string) => (await senders()).find((s) => s.address === address)!.id;
      /** The customer's conversations, keyed by our number's address. */
      const conversationsOf = async (phone: string) => {
        const { rows } = await inbox.db.query<{ id: string; address: string; n: string }>(
          `SELECT c.id, s.address, (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS n
           FROM conversations c JOIN contacts k ON k.id = c.contact_id JOIN senders s ON s.id = c.sender_id WHERE k.phone = $1`,
          [phone],
        );
        return new Map(rows.map((r) => [r.address, { id: r.id, messages: Number(r.n) }]));
      };

      before(async () => {
        // With a service, the second number is only in the service: the server learns it from Twilio.
        inbox = await startTestInbox({
          kind, moreSenders: [SECOND], messagingServiceSid: viaService, lifecycle: { delayMs: 5 },
          ...(viaService ? { env: { TWILIO_WHATSAPP_FROM: OUR_NUMBER } } : {}),
        });
        admin = await inbox.login();
        assert.equal((await call(admin, 'POST', '/api/users', { email: 'ana@clinica.test', name: 'Ana', password: 'a-long-enough-password', role: 'agent' })).status, 201);
        agent = await inbox.login('ana@clinica.test', 'a-long-enough-password');
        template = (await call<{ items: TemplateDto[] }>(admin, 'GET', '/api/templates')).json.items.find((t) => t.approved && t.body.includes('{{1}}'))!;
      });
      after(() => inbox.close());

      test('both numbers are senders (configured, or listed from the Messaging Service)', async () => {
        assert.deepEqual((await senders()).map((s) => s.address).sort(), [OUR_NUMBER, SECOND].sort());
        if (viaService) assert.ok(inbox.local.requests().some((r) => /\/v1\/Services\/MG\w+\/ChannelSenders$/.test(r.path)), 'the service\'s senders were listed');
      });

      test('a customer writing to both numbers has two conversations (inbound webhook)', async () => {
        const customer = 'whatsapp:+573150000001';
        await inbox.local.simulateInbound({ from: customer, body: 'Hola número uno' });
        await inbox.local.simulateInbound({ from: customer, to: SECOND, body: 'Hola número dos' });
        await inbox.local.simulateInbound({ from: customer, to: SECOND, body: 'Otra vez al dos' });
        const byAddress = await conversationsOf('+573150000001');
        assert.deepEqual([...byAddress.keys()].sort(), [OUR_NUMBER, SECOND].sort());
        assert.equal(byAddress.get(OUR_NUMBER)!.messages, 1);
        assert.equal(byAddress.get(SECOND)!.messages, 2);
        const dto = (await call<ConversationDto>(agent, 'GET', `/api/conversations/${byAddress.get(SECOND)!.id}`)).json;
        assert.equal(dto.sender.address, SECOND);
        assert.equal(dto.sender.phone, SECOND.replace('whatsapp:', ''));
        assert.match(dto.sender.colour, /^#[0-9a-f]{6}$/);
        assert.equal(dto.unreadCount, 2);
      });

      test('outside sends from both numbers to one customer give two conversations (status callbacks)', async () => {
        const customer = 'whatsapp:+573150000002';
        await inbox.local.simulateExternalSend({ to: customer, contentSid: template.sid, contentVariables: { 1: 'a' } });
        await inbox.local.simulateExternalSend({ to: customer, from: SECOND, viaService, contentSid: template.sid, contentVariables: { 1: 'b' } });
        await inbox.local.idle();
        const byAddress = await waitFor(async () => {
          const m = await conversationsOf('+573150000002');
          return m.size === 2 && m;
        }, 'two conversations');
        assert.equal(byAddress.get(OUR_NUMBER)!.messages, 1);
        assert.equal(byAddress.get(SECOND)!.messages, 1);
        // Callbacks racing for the same new pair still share one conversation.
        const sids = Array.from({ length: 10 }, () => newSid());
        await Promise.all(sids.map((sid) => inbox.postSigned('/api/whatsapp/status', statusParams(sid, 'sent', { to: 'whatsapp:+573150000003', from: SECOND }))));
        const race = await conversationsOf('+573150000003');
        assert.deepEqual([...race.keys()], [SECOND]);
        assert.equal(race.get(SECOND)!.messages, 10);
      });

      test('Event Streams: both numbers\' events go to their own conversations; another number of the account is ignored', async () => {
        const event = (from: string) => {
          const sid = newSid();
          return {
            specversion: '1.0', type: 'com.twilio.messaging.message.sent', id: 'EZ' + sid.slice(2), time: new Date().toISOString(),
            data: { messageSid: sid, from, to: 'whatsapp:+573150000007', messageStatus: 'SENT', body: `desde ${from}` },
          };
        };
        const body = JSON.stringify([event(OUR_NUMBER), event(SECOND), event('whatsapp:+15550001111')]);
        const url = `${inbox.baseUrl}${EVENTS_PATH}?bodySHA256=${createHash('sha256').update(body).digest('hex')}`;
        const res = await fetch(url, {
          method: 'POST', body,
          headers: { 'content-type': 'application/json', 'x-twilio-signature': twilio.getExpectedTwilioSignature(inbox.authToken, url, {}) },
        });
        assert.deepEqual(await res.json(), { recorded: 2, ignored: 1 });
        const byAddress = await conversationsOf('+573150000007');
        assert.deepEqual([...byAddress.keys()].sort(), [OUR_NUMBER, SECOND].sort());
      });

      test('Twilio\'s list brings both numbers\' messages into their own conversations (reconcile)', async () => {
        inbox.local.setWebhooks({ statusCallbackUrl: '', inboundUrl: '' });
        try {
          const customer = 'whatsapp:+573150000004';
          const since = new Date(Date.now() - 60_000);
          await inbox.local.simulateInbound({ from: customer, to: SECOND, body: 'Perdido en el dos' });
          await inbox.local.simulateInbound({ from: customer, body: 'Perdido en el uno' });
          await inbox.local.simulateExternalSend({ to: customer, from: SECOND, viaService, contentSid: template.sid, contentVariables: { 1: 'c' } });
          await inbox.local.idle();
          assert.equal((await conversationsOf('+573150000004')).size, 0, 'nothing reached us yet');
          await reconcileRange(inbox.ctx, { since }, 'reconcile');
          const byAddress = await conversationsOf('+573150000004');
          assert.equal(byAddress.get(OUR_NUMBER)?.messages, 1);
          assert.equal(byAddress.get(SECOND)?.messages, 2);
        } finally {
          inbox.local.setWebhooks({ statusCallbackUrl: `${inbox.baseUrl}/api/whatsapp/status`, inboundUrl: `${inbox.baseUrl}/api/whatsapp/incoming` });
        }
      });

      test('a reply goes from the conversation\'s number', async () => {
        const customer = 'whatsapp:+573150000005';
        await inbox.local.simulateInbound({ from: customer, to: SECOND, body: 'Escribo al dos' });
        await inbox.local.simulateInbound({ from: customer, body: 'Y al uno' });
        const byAddress = await conversationsOf('+573150000005');
        for (const address of [SECOND, OUR_NUMBER]) {
          const r = await call<{ sid: string }>(agent, 'POST', `/api/conversations/${byAddress.get(address)!.id}/messages`, { body: `Respuesta desde ${address}` });
          assert.equal(r.status, 201, JSON.stringify(r.json));
          const atTwilio = inbox.local.messages().find((m) => m.sid === r.json.sid)!;
          assert.equal(atTwilio.from, address);
          assert.equal(atTwilio.messagingServiceSid, viaService ? inbox.local.messagingServiceSid : null);
          const { rows } = await inbox.db.query<{ business_address: string }>('SELECT business_address FROM messages WHERE sid = $1', [r.json.sid]);
          assert.equal(rows[0]!.business_address, address);
        }
      });

      test('a new chat names its number: required with several, 400 when unknown', async () => {
        const phone = '+573150000006';
        const start = (body: Record<string, unknown>) => call<NewConversationResultDto & ApiError>(agent, 'POST', '/api/conversations', { phone, contentSid: template.sid, contentVariables: { 1: 'x' }, ...body });
        const missing = await start({});
        assert.equal(missing.status, 400);
        assert.match(missing.json.error.messageEs, /número/);
        const unknown = await start({ sender: 'whatsapp:+19990000000' });
        assert.equal(unknown.status, 400);
        assert.equal(unknown.json.error.code, 'unknown_sender');
        assert.equal((await inbox.db.query('SELECT 1 FROM contacts WHERE phone = $1', [phone])).rows.length, 0, 'a refused request leaves nothing');
        const second = await start({ sender: await senderId(SECOND) });
        assert.equal(second.status, 201);
        assert.equal(second.json.conversation.sender.address, SECOND);
        assert.equal(inbox.local.messages().find((m) => m.sid === second.json.message.sid)!.from, SECOND);
        const first = await start({ sender: OUR_NUMBER });
        assert.equal(first.status, 201, 'the same customer from the other number is a new conversation');
        assert.equal(first.json.conversation.sender.address, OUR_NUMBER);
        const again = await start({ sender: SECOND });
        assert.equal(again.status, 200);
        assert.equal(again.json.conversation.id, second.json.conversation.id);
      });

      test('the list and its counts filter by sender', async () => {
        const second = await senderId(SECOND);
        const list = (await call<PageDto<ConversationDto>>(agent, 'GET', `/api/conversations?limit=200&sender=${second}`)).json.items;
        assert.ok(list.length > 0);
        assert.ok(list.every((c) => c.sender.address === SECOND));
        const all = (await call<PageDto<ConversationDto>>(agent, 'GET', '/api/conversations?limit=200')).json.items;
        assert.ok(all.some((c) => c.sender.address === OUR_NUMBER));
        const counts = (await call<ConversationCountsDto>(agent, 'GET', `/api/conversations/counts?sender=${second}`)).json;
        assert.equal(counts.all, list.length);
        assert.equal((await call(agent, 'GET', '/api/conversations?sender=nope')).status, 400);
      });

      test('an admin names and colours a number; agents cannot; audited; every panel is told', async () => {
        const id = await senderId(SECOND);
        const socket = await inbox.connectSocket(agent.cookie);
        const told = new Promise<{ id: string }>((resolve) => socket.once('senders:changed', resolve));
        assert.equal((await call(agent, 'PATCH', `/api/senders/${id}`, { name: 'Sede norte' })).status, 403);
        assert.equal((await call(admin, 'PATCH', `/api/senders/${id}`, { colour: 'red' })).status, 400);
        assert.equal((await call(admin, 'PATCH', `/api/senders/${id}`, {})).status, 400);
        assert.equal((await call(admin, 'PATCH', '/api/senders/00000000-0000-4000-8000-000000000000', { name: 'x' })).status, 404);
        const r = await call<SenderDto>(admin, 'PATCH', `/api/senders/${id}`, { name: 'Sede norte', colour: '#0E7490' });
        assert.equal(r.status, 200);
        assert.deepEqual({ name: r.json.name, colour: r.json.colour }, { name: 'Sede norte', colour: '#0e7490' });
        assert.deepEqual(await told, { id });
        const conversation = (await call<PageDto<ConversationDto>>(agent, 'GET', `/api/conversations?sender=${id}`)).json.items[0]!;
        assert.equal(conversation.sender.name, 'Sede norte');
        const audit = (await call<PageDto<AuditEntryDto>>(admin, 'GET', '/api/audit?limit=50')).json.items.find((e) => e.action === 'sender.update')!;
        assert.equal(audit.target, id);
        assert.equal(audit.details.name, 'Sede norte');
        const back = await call<SenderDto>(admin, 'PATCH', `/api/senders/${id}`, { colour: null });
        assert.notEqual(back.json.colour, '#0e7490');
      });
    });
  }
}

describe('two WhatsApp numbers across two instances', { skip: skipTwoInstances }, () => {
  const instances = twoInstances('senders');

  test('callbacks of a new number and customer reaching both instances at once make one sender and one conversation; a rename on A reaches a panel on B', async () => {
    const [a, b] = [instances.a(), instances.b()];
    const post = (base: string, sid: string) => {
      const params = statusParams(sid, 'sent', { to: 'whatsapp:+573150000099', from: SECOND });
      const url = `${base}/api/whatsapp/status`;
      // Both instances check signatures against BASE_URL (A's): a load balancer forwards the same request.
      const signature = twilio.getExpectedTwilioSignature(a.authToken, `${a.baseUrl}/api/whatsapp/status`, params);
      return fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }, body: new URLSearchParams(params).toString() });
    };
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => post(i % 2 ? b.url : a.baseUrl, newSid())));
    assert.ok(answers.every((r) => r.status === 204), answers.map((r) => r.status).join());
    const { rows } = await a.db.query<{ conversations: string; senders: string }>(
      `SELECT (SELECT count(*) FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE k.phone = '+573150000099') AS conversations,
              (SELECT count(*) FROM senders WHERE address = $1) AS senders`,
      [SECOND],
    );
    assert.deepEqual(rows[0], { conversations: '1', senders: '1' });

    const s = await a.login();
    const socket = await connectPanelSocket(b.url, s.cookie);
    const told = new Promise<{ id: string }>((resolve) => socket.once('senders:changed', resolve));
    const id = (await a.db.query<{ id: string }>('SELECT id FROM senders WHERE address = $1', [SECOND])).rows[0]!.id;
    const res = await fetch(`${a.baseUrl}/api/senders/${id}`, { method: 'PATCH', headers: { ...s.headers, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Sede sur' }) });
    assert.equal(res.status, 200);
    assert.deepEqual(await told, { id });
    socket.close();
  });
});
