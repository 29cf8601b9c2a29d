import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ApiError, NewConversationResultDto, SessionDto, TemplateDto, UserDto } from '../src/contract/api.ts';
import { loadConfig } from '../src/config/env.ts';
import { conversationRepository } from '../src/db/conversation-repository.ts';
import { parseCustomerPhone } from '../src/messages/phone-numbers.ts';
import { databaseKinds } from './support/databases.ts';
import { connectPanelSocket, OUR_NUMBER, skipTwoInstances, startTestInbox, twoInstances, waitFor, type TestInbox, type TestSession } from './support/inbox.ts';
import { record } from './support/realtime.ts';

describe('reading a typed phone number', () => {
  test('the three spellings of a Colombian mobile are one E.164 number', () => {
    for (const typed of ['315 336 9631', '+57 315 336 9631', '573153369631', '(315) 336-9631']) {
      assert.equal(parseCustomerPhone(typed, 'CO'), '+573153369631', typed);
    }
  });
  test('another country: its own numbers, or any with +', () => {
    assert.equal(parseCustomerPhone('55 1234 5678', 'MX'), '+525512345678');
    assert.equal(parseCustomerPhone('+57 315 336 9631', 'MX'), '+573153369631');
    assert.equal(parseCustomerPhone('601 234 5678', 'co'), '+576012345678', 'a Bogotá landline; the country in any case');
  });
  test('a number that is not valid, or an unknown country, is a validation error in both languages', () => {
    for (const [typed, country] of [['315', 'CO'], ['+999 1234567', 'CO'], ['abc', 'CO'], ['3153369631', 'XX'], ['57315336963100', 'CO']] as const) {
      assert.throws(() => parseCustomerPhone(typed, country), (err: { code?: string; messageEs?: string }) => {
        assert.equal(err.code, 'validation', typed);
        assert.match(err.messageEs ?? '', /no es un número de teléfono válido|Código de país desconocido/);
        return true;
      });
    }
    assert.throws(() => parseCustomerPhone('315', 'CO'), /not a valid phone number in Colombia/);
  });
  test('DEFAULT_COUNTRY: CO unless set, any case; an unknown country stops the start', () => {
    assert.equal(loadConfig({}).defaultCountry, 'CO');
    assert.equal(loadConfig({ DEFAULT_COUNTRY: 'mx' }).defaultCountry, 'MX');
    assert.throws(() => loadConfig({ DEFAULT_COUNTRY: 'XX' }), /DEFAULT_COUNTRY: must be a country code/);
  });
});

for (const kind of databaseKinds()) {
  describe(`starting a conversation with any number (${kind})`, () => {
    let inbox: TestInbox;
    let admin: TestSession;
    let agent: TestSession;
    let template: TemplateDto;
    let pending: TemplateDto;
    before(async () => {
      inbox = await startTestInbox({ kind, lifecycle: { delayMs: 10 } });
      admin = await inbox.login();
      const created = await call<UserDto>(admin, 'POST', '/api/users', { email: 'laura@clinica.test', name: 'Laura Gómez', password: 'a-long-enough-password', role: 'agent' });
      assert.equal(created.status, 201);
      agent = await inbox.login('laura@clinica.test', 'a-long-enough-password');
      const templates = (await call<{ items: TemplateDto[] }>(admin, 'GET', '/api/templates')).json.items;
      template = templates.find((t) => t.approved && t.body.includes('{{1}}'))!;
      pending = templates.find((t) => !t.approved)!;
    });
    after(() => inbox.close());

    async function call<T>(s: TestSession | null, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
      const res = await fetch(inbox.baseUrl + path, {
        method, headers: { ...(s?.headers ?? {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as T };
    }
    const start = (s: TestSession, body: unknown) => call<NewConversationResultDto & ApiError>(s, 'POST', '/api/conversations', body);
    const count = async (sql: string, params: unknown[] = []) => Number((await inbox.db.query<{ n: string }>(sql, params)).rows[0]!.n);
    const contactRows = (phone: string) => count('SELECT count(*) AS n FROM contacts WHERE phone = $1', [phone]);

    test('the session tells the panel the default country', async () => {
      assert.equal((await call<SessionDto>(admin, 'GET', '/api/auth/me')).json.defaultCountry, 'CO');
    });

    test('three spellings of one number: one contact and one conversation (201, then 200, 200); each template sent as any panel send', async () => {
      const other = record(await inbox.connectSocket(admin.cookie));
      const spellings = ['315 336 9631', '+57 315 336 9631', '573153369631'];
      const answers: NewConversationResultDto[] = [];
      for (const [i, phone] of spellings.entries()) {
        const r = await start(agent, { phone, name: i === 0 ? 'Ana Pérez' : undefined, contentSid: template.sid, contentVariables: { 1: `Ana ${i}` } });
        assert.equal(r.status, i === 0 ? 201 : 200, JSON.stringify(r.json));
        answers.push(r.json);
      }
      const ids = new Set(answers.map((a) => a.conversation.id));
      assert.equal(ids.size, 1, 'one conversation');
      const conversationId = answers[0]!.conversation.id;
      assert.equal(await contactRows('+573153369631'), 1);
      assert.equal(await count('SELECT count(*) AS n FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE k.phone = $1', ['+573153369631']), 1);
      const first = answers[0]!;
      assert.equal(first.conversation.contact.phone, '+573153369631');
      assert.equal(first.conversation.contact.name, 'Ana Pérez', 'the name given names the contact');
      assert.equal(answers[2]!.conversation.contact.name, 'Ana Pérez', 'no name later keeps it');
      assert.equal(answers[2]!.conversation.lastMessage?.id, answers[2]!.message.id);

      for (const [i, a] of answers.entries()) {
        const m = a.message;
        assert.equal(m.conversationId, conversationId);
        assert.equal(m.source, 'panel');
        assert.equal(m.sentBy?.name, 'Laura Gómez', 'an agent may start a chat');
        assert.equal(m.contentSid, template.sid);
        assert.deepEqual(m.contentVariables, { 1: `Ana ${i}` });
        assert.ok(m.sid?.startsWith('SM'));
        const row = (await inbox.db.query<{ status: string }>('SELECT status FROM messages WHERE id = $1', [m.id])).rows[0];
        assert.ok(row && row.status, 'the message row exists with its status');
        const atTwilio = inbox.local.messages().find((x) => x.sid === m.sid)!;
        assert.ok(atTwilio, 'the local Twilio received the template');
        assert.equal(atTwilio.to, 'whatsapp:+573153369631');
        assert.equal(atTwilio.contentSid, template.sid);
        assert.equal(atTwilio.statusCallback, `${inbox.baseUrl}/api/whatsapp/status?mid=${m.id}`);
        assert.ok(atTwilio.body.includes(`Ana ${i}`), 'the template was rendered with its variable');
      }

      // Another panel sees the new conversation in its list, as any conversation with a new message.
      await waitFor(() => other.conversation(conversationId)?.lastMessage?.id === answers[2]!.message.id, 'the list update in another panel');
      assert.equal(other.conversation(conversationId)!.contact.name, 'Ana Pérez');

      const audit = await inbox.db.query<{ action: string; actor_id: string; target: string; details: Record<string, unknown> }>(
        `SELECT action, actor_id, target, details FROM audit_log WHERE action IN ('conversation.create', 'contact.update', 'message.send')
           AND (target = $1 OR details->>'conversationId' = $1) ORDER BY id`,
        [conversationId],
      );
      const agentId = answers[0]!.message.sentBy!.id;
      assert.deepEqual(audit.rows.map((r) => [r.action, r.actor_id]), [
        ['conversation.create', agentId], ['contact.update', agentId], ['message.send', agentId], ['message.send', agentId], ['message.send', agentId],
      ]);
      assert.deepEqual(audit.rows[0]!.details, { phone: '+573153369631' });
    });

    test('two agents starting a chat with the same new number at once share one conversation; one 201, one audit row', async () => {
      const body = { contentSid: template.sid, contentVariables: { 1: 'x' } };
      const answers = await Promise.all([start(admin, { ...body, phone: '3004445566' }), start(agent, { ...body, phone: '+57 300 444 5566' })]);
      assert.deepEqual(answers.map((r) => r.status).sort(), [200, 201]);
      assert.equal(answers[0]!.json.conversation.id, answers[1]!.json.conversation.id);
      assert.equal(await count(`SELECT count(*) AS n FROM audit_log WHERE action = 'conversation.create' AND target = $1`, [answers[0]!.json.conversation.id]), 1);
    });

    // PGlite has one connection, so two writers never overlap there.
    if (kind === 'postgres') {
      test('of two writers racing for a new number, only the one whose insert won says created', async () => {
        const phone = '+573007778899';
        let second: Promise<{ created: boolean }> | null = null;
        const first = await inbox.db.transaction(async (tx) => {
          const mine = await conversationRepository.ensureForNewChat(tx, phone, OUR_NUMBER);
          // The other writer starts while this insert is uncommitted: it waits on the unique index.
          second = conversationRepository.ensureForNewChat(inbox.db, phone, OUR_NUMBER);
          await new Promise((r) => setTimeout(r, 200));
          return mine;
        });
        const other = await second!;
        assert.deepEqual([first.created, other.created], [true, false]);
      });
    }

    test('a chosen name is not overwritten by an empty one; a new name replaces it', async () => {
      const body = { contentSid: template.sid, contentVariables: { 1: 'x' } };
      assert.equal((await start(admin, { ...body, phone: '3001112233', name: 'Carlos' })).status, 201);
      let r = await start(admin, { ...body, phone: '+573001112233', name: '   ' });
      assert.equal(r.status, 200);
      assert.equal(r.json.conversation.contact.name, 'Carlos');
      r = await start(admin, { ...body, phone: '3001112233', name: 'Carlos Ruiz' });
      assert.equal(r.json.conversation.contact.name, 'Carlos Ruiz');
    });

    test('the country given reads a number without +; a bad number, country, template or body is 400 and changes nothing', async () => {
      const mx = await start(admin, { phone: '55 1234 5678', country: 'MX', contentSid: template.sid, contentVariables: { 1: 'x' } });
      assert.equal(mx.status, 201, JSON.stringify(mx.json));
      assert.equal(mx.json.conversation.contact.phone, '+525512345678');

      const contactsBefore = await count('SELECT count(*) AS n FROM contacts');
      const messagesBefore = await count('SELECT count(*) AS n FROM messages');
      const sentBefore = inbox.local.messages().length;
      const refused: [string, unknown, number, string][] = [
        ['a number too short', { phone: '315', contentSid: template.sid }, 400, 'validation'],
        ['letters', { phone: 'hola', contentSid: template.sid }, 400, 'validation'],
        ['an unknown country', { phone: '3153369632', country: 'XX', contentSid: template.sid }, 400, 'validation'],
        ['a country that is not a code', { phone: '3153369632', country: 'COL', contentSid: template.sid }, 400, 'validation'],
        ['no contentSid', { phone: '3153369632' }, 400, 'validation'],
        ['free text instead of a template', { phone: '3153369632', body: 'hola' }, 400, 'validation'],
        ['an unknown template', { phone: '3153369632', contentSid: 'HX' + '0'.repeat(32) }, 400, 'unknown_template'],
        ['a template not approved yet', { phone: '3153369632', contentSid: pending.sid }, 409, 'template_not_approved'],
        ['a phone too long', { phone: '3'.repeat(41), contentSid: template.sid }, 400, 'validation'],
        ['a name too long', { phone: '3153369632', name: 'n'.repeat(101), contentSid: template.sid }, 400, 'validation'],
        ['no body', undefined, 400, 'validation'],
      ];
      for (const [what, body, status, code] of refused) {
        const r = await start(admin, body);
        assert.equal(r.status, status, `${what}: ${JSON.stringify(r.json)}`);
        assert.equal(r.json.error.code, code, what);
        assert.ok(r.json.error.messageEs, `${what}: a Spanish message`);
      }
      const bad = await start(admin, { phone: '315', contentSid: template.sid });
      assert.match(bad.json.error.messageEs, /315 no es un número de teléfono válido en Colombia/);
      assert.equal(await count('SELECT count(*) AS n FROM contacts'), contactsBefore, 'no contact row');
      assert.equal(await count('SELECT count(*) AS n FROM messages'), messagesBefore, 'no message row');
      assert.equal(inbox.local.messages().length, sentBefore, 'nothing reached Twilio');
    });

    test('unauthenticated is 401; a cookie without its CSRF token is 403; neither changes anything', async () => {
      const body = { phone: '3153369699', contentSid: template.sid, contentVariables: { 1: 'x' } };
      const anonymous = await call<ApiError>(null, 'POST', '/api/conversations', body);
      assert.equal(anonymous.status, 401);
      const noToken = await call<ApiError>(null, 'POST', '/api/conversations', body, { cookie: admin.cookie });
      assert.equal(noToken.status, 403);
      assert.equal(noToken.json.error.code, 'csrf');
      assert.equal(await contactRows('+573153369699'), 0);
    });
  });
}


// Behind a load balancer the agent's request and another agent's panel may be on different instances.
describe('a chat started on one instance shows in a panel connected to another', { skip: skipTwoInstances }, () => {
  const instances = twoInstances('new-chat');

  test('POST /api/conversations on A: the list entry reaches B\'s socket', async () => {
    const [a, b] = [instances.a(), instances.b()];
    const session = await a.login();
    const socket = await connectPanelSocket(b.url, session.cookie);
    const onB = record(socket);
    const templates = (await (await fetch(`${a.baseUrl}/api/templates`, { headers: session.headers })).json()) as { items: TemplateDto[] };
    const template = templates.items.find((t) => t.approved)!;
    const res = await fetch(`${a.baseUrl}/api/conversations`, {
      method: 'POST', headers: { ...session.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ phone: '310 555 0101', name: 'Rosa', contentSid: template.sid, contentVariables: { 1: 'Rosa', 2: 'x', 3: 'y' } }),
    });
    assert.equal(res.status, 201);
    const { conversation } = (await res.json()) as NewConversationResultDto;
    const entry = await waitFor(() => onB.conversation(conversation.id), 'the list entry on B');
    assert.equal(entry.contact.phone, '+573105550101');
    socket.close();
  });
});
