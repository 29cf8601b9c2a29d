import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { checkpointRepository } from '../src/db/settings-repository.ts';
import { databaseKinds } from './support/databases.ts';
import { startTestInbox, waitFor, type TestInbox } from './support/inbox.ts';

for (const kind of databaseKinds()) {
  describe(`reconciliation with Twilio's message list (${kind})`, () => {
    let inbox: TestInbox;
    before(async () => {
      inbox = await startTestInbox({ kind, lifecycle: { delayMs: 5 } });
    });
    after(() => inbox.close());

    test('messages whose callbacks were lost while the server was down are recorded once, with text and final status', async () => {
      await checkpointRepository.set(inbox.db, 'reconcile_since', new Date(Date.now() - 60_000).toISOString());
      await inbox.stopServer();
      const sent = [];
      const template = inbox.local.addTemplate({ friendlyName: 'campana', language: 'es', category: 'UTILITY', approval: 'approved', body: 'Campaña {{1}} ✅', variables: { 1: '0' } });
      for (let i = 0; i < 5; i++) sent.push(await inbox.local.simulateExternalSend({ to: `whatsapp:+57319000000${i}`, contentSid: template.sid, contentVariables: { 1: String(i) } }));
      const replied = await inbox.local.simulateInbound({ from: 'whatsapp:+573190000000', body: 'Gracias' });
      await inbox.local.idle();
      await inbox.restartServer();
      const counts = await inbox.reconciler!.runOnce();
      assert.ok(counts, 'this instance held the lease');
      assert.equal(counts.new, 6);
      for (const { sid } of [...sent, replied]) {
        const { rows } = await inbox.db.query<{ body: string; status: string; captured_via: string; body_pending: boolean }>('SELECT body, status, captured_via, body_pending FROM messages WHERE sid = $1', [sid]);
        assert.equal(rows.length, 1, sid);
        assert.equal(rows[0]!.captured_via, 'reconcile');
        assert.equal(rows[0]!.body_pending, false);
      }
      const { rows } = await inbox.db.query<{ body: string; status: string }>('SELECT body, status FROM messages WHERE sid = $1', [sent[0]!.sid]);
      assert.equal(rows[0]!.body, 'Campaña 0 ✅');
      assert.equal(rows[0]!.status, 'read');
      const again = await inbox.reconciler!.runOnce();
      assert.deepEqual({ new: again!.new, updated: again!.updated }, { new: 0, updated: 0 }, 'a second pass changes nothing');
    });

    test('one instance at a time: a second holder does not get the lease', async () => {
      const { leaseRepository } = await import('../src/db/settings-repository.ts');
      assert.equal(await leaseRepository.tryAcquire(inbox.db, 'test-lease', 'a', 60), true);
      assert.equal(await leaseRepository.tryAcquire(inbox.db, 'test-lease', 'b', 60), false);
      assert.equal(await leaseRepository.tryAcquire(inbox.db, 'test-lease', 'a', 60), true, 'the holder renews');
      await leaseRepository.release(inbox.db, 'test-lease', 'a');
      assert.equal(await leaseRepository.tryAcquire(inbox.db, 'test-lease', 'b', 60), true);
    });

    test('statuses missed while down are advanced from the list', async () => {
      await inbox.local.simulateInbound({ from: 'whatsapp:+573190000009', body: 'hola' });
      const { cookie, headers: auth } = await inbox.login();
      const conv = await waitFor(async () => {
        const res = await fetch(`${inbox.baseUrl}/api/conversations?q=3190000009`, { headers: { cookie } });
        return ((await res.json()) as { items: { id: string }[] }).items[0];
      }, 'conversation');
      inbox.local.setLifecycle({ delayMs: 300 });
      const res = await fetch(`${inbox.baseUrl}/api/conversations/${conv.id}/messages`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ body: 'respuesta' }) });
      const m = (await res.json()) as { id: string; sid: string };
      await inbox.stopServer();
      await inbox.local.idle();
      await inbox.restartServer();
      const before = (await inbox.db.query<{ status: string }>('SELECT status FROM messages WHERE id = $1', [m.id])).rows[0]!.status;
      assert.notEqual(before, 'read', 'the callbacks were lost');
      await inbox.reconciler!.runOnce();
      const { rows } = await inbox.db.query<{ status: string; source: string }>('SELECT status, source FROM messages WHERE sid = $1', [m.sid]);
      assert.deepEqual(rows, [{ status: 'read', source: 'panel' }]);
      inbox.local.setLifecycle({ delayMs: 5 });
    });
  });
}
