import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ApiError, ConversationDto, MessageDto } from '../src/contract/api.ts';
import { databaseKinds } from './support/databases.ts';
import { customerWrites as customerWritesFirst, startTestInbox, waitFor, type TestInbox, type TestSession } from './support/inbox.ts';

for (const kind of databaseKinds()) {
  describe(`sending from the panel (${kind})`, () => {
    let inbox: TestInbox;
    let session: TestSession;
    before(async () => {
      inbox = await startTestInbox({ kind, lifecycle: { delayMs: 10 } });
      session = await inbox.login();
    });
    after(() => inbox.close());

    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(inbox.baseUrl + path, {
        method, headers: { ...session.headers, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, json: (await res.json()) as unknown };
    };

    /** A customer writes first (opening the window) through the local Twilio; returns the conversation. */
    const customerWrites = (phone: string, body?: string) => customerWritesFirst(inbox, session, phone, { body });

    async function conversationWithoutWindow(phone: string): Promise<string> {
      const { conversationRepository } = await import('../src/db/conversation-repository.ts');
      const id = await conversationRepository.ensureForPhone(inbox.db, phone);
      return id;
    }

    test('free text inside the window: written before Twilio, callback URL carries our id, ends read, one row', async () => {
      const c = await customerWrites('+573160000001');
      const { status, json } = await call('POST', `/api/conversations/${c.id}/messages`, { body: 'Su examen es mañana a las 8' });
      assert.equal(status, 201);
      const m = json as MessageDto;
      assert.equal(m.source, 'panel');
      assert.equal(m.sentBy?.name, 'Admin');
      assert.ok(m.sid?.startsWith('SM'), 'the answer carries Twilio\'s SID');
      const atTwilio = inbox.local.messages().find((x) => x.sid === m.sid)!;
      assert.ok(atTwilio, 'Twilio got the send');
      assert.equal((atTwilio as unknown as { statusCallback: string }).statusCallback, `${inbox.baseUrl}/api/whatsapp/status?mid=${m.id}`);
      const final = await waitFor(async () => {
        const { rows } = await inbox.db.query<{ status: string }>('SELECT status FROM messages WHERE sid = $1', [m.sid]);
        return rows.length === 1 && rows[0]!.status === 'read' ? rows : undefined;
      }, 'status read');
      assert.equal(final.length, 1);
      const audit = await inbox.db.query<{ actor_id: string; action: string }>('SELECT actor_id, action FROM audit_log WHERE target = $1', [m.id]);
      assert.deepEqual(audit.rows.map((r) => [r.action, r.actor_id]), [['message.send', m.sentBy!.id]], 'the audit trail says who sent it');
    });

    test('free text outside the window is refused with 409 before calling Twilio', async () => {
      const id = await conversationWithoutWindow('+573160000002');
      const before = inbox.local.messages().length;
      const { status, json } = await call('POST', `/api/conversations/${id}/messages`, { body: 'Hola' });
      assert.equal(status, 409);
      assert.equal((json as ApiError).error.code, 'window_closed');
      assert.match((json as ApiError).error.messageEs, /24 horas/);
      assert.equal(inbox.local.messages().length, before);
      const { rows } = await inbox.db.query('SELECT * FROM messages WHERE conversation_id = $1', [id]);
      assert.equal(rows.length, 0);
    });

    test('a template goes out outside the window, with its text shown at once', async () => {
      const id = await conversationWithoutWindow('+573160000003');
      const { json: templates } = await call('GET', '/api/templates');
      const t = (templates as { items: { sid: string; body: string; approved: boolean }[] }).items.find((x) => x.approved && /\{\{1\}\}/.test(x.body))!;
      assert.ok(t, 'the local Twilio lists approved templates');
      const { status, json } = await call('POST', `/api/conversations/${id}/messages`, { contentSid: t.sid, contentVariables: { 1: 'Ana', 2: '3 de diciembre', 3: '8:00' } });
      assert.equal(status, 201, JSON.stringify(json));
      const m = json as MessageDto;
      assert.equal(m.contentSid, t.sid);
      assert.match(m.body ?? '', /Ana/);
      assert.doesNotMatch(m.body ?? '', /\{\{1\}\}/);
      await waitFor(async () => (await inbox.db.query<{ status: string }>('SELECT status FROM messages WHERE id = $1', [m.id])).rows[0]?.status === 'read', 'template read');
    });

    test('Twilio failing the message later (63016) shows on the message with its code', async () => {
      // Our database thinks the window is open, Twilio knows better: the failure comes by callback.
      const id = await conversationWithoutWindow('+573160000004');
      await inbox.db.query("UPDATE conversations SET last_inbound_at = now() - interval '1 hour' WHERE id = $1", [id]);
      const { status, json } = await call('POST', `/api/conversations/${id}/messages`, { body: 'Hola' });
      assert.equal(status, 201);
      const m = json as MessageDto;
      const failed = await waitFor(async () => {
        const { rows } = await inbox.db.query<{ status: string; error_code: number }>('SELECT status, error_code FROM messages WHERE id = $1', [m.id]);
        return rows[0]?.status === 'failed' ? rows[0] : undefined;
      }, 'failed status');
      assert.equal(failed.error_code, 63016);
    });

    test('Twilio refusing the request comes back as a clear 502 with the reason in both languages', async () => {
      const c = await customerWrites('+573160000005');
      inbox.local.injectFault({ status: 500, count: 1, pathContains: '/Messages.json' });
      const { status, json } = await call('POST', `/api/conversations/${c.id}/messages`, { body: 'Hola' });
      inbox.local.injectFault(null);
      assert.equal(status, 502);
      assert.equal((json as ApiError).error.code, 'twilio_error');
      const { rows } = await inbox.db.query<{ status: string }>("SELECT status FROM messages WHERE conversation_id = $1 AND source = 'panel'", [c.id]);
      assert.deepEqual(rows.map((r) => r.status), ['failed']);
    });

    test('bad requests: unknown conversation 404, empty body 400, unknown fields 400, no session 401', async () => {
      assert.equal((await call('POST', '/api/conversations/00000000-0000-4000-8000-000000000000/messages', { body: 'x' })).status, 404);
      assert.equal((await call('POST', '/api/conversations/not-a-uuid/messages', { body: 'x' })).status, 404);
      const c = await customerWrites('+573160000006');
      assert.equal((await call('POST', `/api/conversations/${c.id}/messages`, { body: '   ' })).status, 400);
      assert.equal((await call('POST', `/api/conversations/${c.id}/messages`, { body: 'x', admin: true })).status, 400);
      assert.equal((await call('POST', `/api/conversations/${c.id}/messages`, { contentSid: 'nope' })).status, 400);
      const anon = await fetch(`${inbox.baseUrl}/api/conversations/${c.id}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"body":"x"}' });
      assert.equal(anon.status, 401);
    });
  });
}
