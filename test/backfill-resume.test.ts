import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backfill, backfillKey } from '../src/cli/backfill.ts';
import { loadConfig } from '../src/config/env.ts';
import { checkpointRepository } from '../src/db/settings-repository.ts';
import type { InboxContext } from '../src/messages/context.ts';
import { NO_PANELS } from '../src/messages/conversation-feed.ts';
import { InboxEvents } from '../src/messages/inbox-events.ts';
import { senderDirectory } from '../src/messages/senders.ts';
import { createSettingsStore } from '../src/messages/settings-store.ts';
import { createTwilioGateway, TwilioRequestError } from '../src/twilio/gateway.ts';
import { databaseKinds } from './support/databases.ts';
import { OUR_NUMBER, startTestInbox, type TestInbox } from './support/inbox.ts';

const PAGE = 50;

for (const kind of databaseKinds()) {
  describe(`backfill resumes an interrupted run without --until (${kind})`, () => {
    let inbox: TestInbox;
    /** What the command works with (as openRuntime builds it), on the test's database. */
    let ctx: InboxContext;
    before(async () => {
      inbox = await startTestInbox({ kind, lifecycle: { delayMs: 5, statuses: ['sent', 'delivered'] } });
      // No callback reaches us: only the backfill can find these messages.
      await inbox.stopServer();
      const config = loadConfig({ BASE_URL: inbox.baseUrl, TWILIO_ACCOUNT_SID: inbox.accountSid, TWILIO_AUTH_TOKEN: inbox.authToken, TWILIO_WHATSAPP_FROM: OUR_NUMBER, TWILIO_API_URL: inbox.local.url });
      const silent = { info() {}, warn() {}, error() {}, debug() {} };
      ctx = { db: inbox.db, twilio: createTwilioGateway(config.twilio!), events: new InboxEvents(), conversations: NO_PANELS, settings: createSettingsStore(inbox.db), baseUrl: inbox.baseUrl, log: silent, wakeWorker: () => {},
        senders: senderDirectory({ configured: [OUR_NUMBER], inService: [], messagingServiceSid: null }) };
    });
    after(() => inbox.close());

    const listRequests = (from: number) => inbox.local.requests().slice(from).filter((r) => r.method === 'GET' && r.path.endsWith('/Messages.json'));
    const count = async (sids: string[]) => Number((await inbox.db.query<{ n: string }>('SELECT count(*) AS n FROM messages WHERE sid = ANY($1)', [sids])).rows[0]!.n);

    test('stopped by Twilio after two pages, a run without --until continues from its checkpoint and ends with every message once', async () => {
      // 250 messages of yesterday, a minute apart, oldest first (Twilio lists them newest first;
      // its dates have whole seconds).
      const base = Math.floor(Date.now() / 1000) * 1000 - 86_400_000;
      // The customer wrote first (WhatsApp's window), before all of them.
      const { sid: hola } = await inbox.local.simulateInbound({ from: 'whatsapp:+573186660001', body: 'hola' });
      inbox.local.updateMessage(hola, { dateCreated: new Date(base - 60_000), dateSent: new Date(base - 60_000) });
      const sids: string[] = [];
      for (let i = 0; i < 250; i++) {
        const { sid } = await inbox.local.simulateExternalSend({ to: 'whatsapp:+573186660001', body: `histórico ${i}` });
        sids.push(sid);
      }
      await inbox.local.idle();
      sids.forEach((sid, i) => inbox.local.updateMessage(sid, { dateCreated: new Date(base + i * 60_000), dateSent: new Date(base + i * 60_000) }));
      const since = new Date(base - 3_600_000);

      // The third page request fails (Twilio down mid-run): the run ends there, with an error.
      const first = inbox.local.requests().length;
      await assert.rejects(
        backfill(ctx, { since }, {
          restart: false,
          pageSize: PAGE,
          onProgress: (c) => {
            if (c.seen === 2 * PAGE) inbox.local.injectFault({ status: 500, pathContains: '/Messages.json' });
          },
        }),
        TwilioRequestError,
      );
      inbox.local.injectFault(null);
      assert.equal(listRequests(first).length, 3, 'two pages read, the third refused');
      assert.equal(await count(sids), 2 * PAGE, 'the newest two pages are in');
      const saved = await checkpointRepository.get(inbox.db, backfillKey({ since }));
      assert.ok(saved, 'the checkpoint is keyed on --since alone, not on a moving now');
      const progress = JSON.parse(saved.value) as { upTo: string; reached: string };
      assert.equal(progress.reached, new Date(base + 150 * 60_000).toISOString(), 'it reached the oldest message of the second page');

      // Run again, later, still without --until: the older 150 remain (plus the overlap's two).
      const second = inbox.local.requests().length;
      const resumed = await backfill(ctx, { since }, { restart: false, pageSize: PAGE });
      assert.ok(resumed.resumedFrom, 'it says it resumed');
      assert.equal(resumed.resumedFrom.toISOString(), new Date(base + 151 * 60_000).toISOString());
      assert.equal(resumed.new, 151, 'the 150 older ones and the customer\'s first message');
      assert.ok(resumed.seen <= 153, `pages already done were not read again (seen ${resumed.seen})`);
      const firstAsked = new URLSearchParams(listRequests(second)[0]!.query);
      assert.ok(new Date(firstAsked.get('DateSent<')!).getTime() <= base + 152 * 60_000, `the resumed listing starts below what was done: ${firstAsked}`);
      assert.equal(await count([...sids, hola]), 251, 'every message once');
      const { rows } = await inbox.db.query<{ n: string }>("SELECT count(DISTINCT sid) AS n FROM messages WHERE body LIKE 'histórico %'");
      assert.equal(Number(rows[0]!.n), 250);
      const done = JSON.parse((await checkpointRepository.get(inbox.db, backfillKey({ since })))!.value) as { upTo: string; reached: string };
      assert.equal(done.reached, since.toISOString(), 'complete');

      // Done before: a run later imports only what arrived since.
      const fresh: string[] = [];
      for (let i = 0; i < 3; i++) fresh.push((await inbox.local.simulateExternalSend({ to: 'whatsapp:+573186660001', body: `nuevo ${i}` })).sid);
      await inbox.local.idle();
      const third = await backfill(ctx, { since }, { restart: false, pageSize: PAGE });
      assert.equal(third.resumedFrom, null);
      assert.ok(third.caughtUpFrom, 'it says it caught up');
      assert.equal(third.new, 3);
      assert.ok(third.seen < 10, `only the recent stretch was listed (seen ${third.seen})`);
      assert.equal(await count([...sids, ...fresh]), 253);
    });
  });
}
