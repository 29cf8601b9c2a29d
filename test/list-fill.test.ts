// A campaign sent through another system arrives as callbacks without texts: past a backlog, the
// fetcher fills them from Twilio's message list, a page per request, instead of a fetch each.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config/env.ts';
import { startMessageFetcher, type MessageFetcher } from '../src/messages/message-fetcher.ts';
import { createTemplateCatalog } from '../src/messages/template-catalog.ts';
import { createTwilioGateway } from '../src/twilio/gateway.ts';
import { databaseKinds } from './support/databases.ts';
import { OUR_NUMBER, startTestInbox, statusParams, waitFor, type TestInbox } from './support/inbox.ts';
import { record, watch } from './support/realtime.ts';

const PAGE = 100;

/** Requests our server made to the local Twilio since `from`: list pages, and single message fetches. */
function requestsSince(inbox: TestInbox, from: number) {
  const all = inbox.local.requests().slice(from).filter((r) => r.method === 'GET');
  return {
    pages: all.filter((r) => r.path.endsWith('/Messages.json')),
    fetches: all.filter((r) => /\/Messages\/(SM|MM)[0-9a-f]{32}\.json$/.test(r.path)),
  };
}

for (const kind of databaseKinds()) {
  describe(`texts of outside messages filled from Twilio's list (${kind})`, () => {
    let inbox: TestInbox;
    const customers = Array.from({ length: 5 }, (_, i) => `whatsapp:+57318${String(7_000_000 + i)}`);
    before(async () => {
      inbox = await startTestInbox({ kind, startWorkers: false, lifecycle: { statuses: [] } });
      // They wrote first, so WhatsApp's window is open for the campaign's free text.
      for (const from of customers) await inbox.local.simulateInbound({ from, body: 'Hola' });
      await inbox.local.idle();
    });
    after(() => inbox.close());

    /** Sends `n` messages from outside and plays a callback for each: `n` rows wait for their text. */
    async function outsideCampaign(n: number, status = 'sent'): Promise<{ sid: string; to: string; body: string }[]> {
      const sent = [];
      for (let i = 0; i < n; i++) {
        const to = customers[i % customers.length]!;
        const body = `Recordatorio ${i} ${Math.random().toString(36).slice(2)}`;
        sent.push({ ...(await inbox.local.simulateExternalSend({ to, body })), to, body });
      }
      for (let i = 0; i < sent.length; i += 25) {
        await Promise.all(sent.slice(i, i + 25).map(async (m) => {
          const res = await inbox.postSigned('/api/whatsapp/status', statusParams(m.sid, status, { to: m.to, accountSid: inbox.accountSid }));
          assert.equal(res.status, 204);
        }));
      }
      return sent;
    }

    /** One fetcher fills `sent`: the rows it left, and the list pages and single fetches it asked Twilio for. */
    async function fillAll(sent: { sid: string }[]) {
      const from = inbox.local.requests().length;
      const fetcher = startFetcher();
      try {
        await allFilled(sent.map((m) => m.sid));
      } finally {
        await fetcher.stop();
      }
      return { rows: await textsOf(sent.map((m) => m.sid)), ...requestsSince(inbox, from) };
    }

    const startFetcher = (minBacklog = 50) =>
      startMessageFetcher({ ...inbox.ctx, templates: createTemplateCatalog(inbox.ctx.twilio) }, { listFill: { minBacklog, pageSize: PAGE } });

    async function textsOf(sids: string[]) {
      const { rows } = await inbox.db.query<{ sid: string; body: string | null; body_pending: boolean; status: string }>(
        'SELECT sid, body, body_pending, status FROM messages WHERE sid = ANY($1::text[])', [sids],
      );
      return new Map(rows.map((r) => [r.sid, r]));
    }

    async function allFilled(sids: string[], timeoutMs = 15_000) {
      await waitFor(async () => {
        const rows = await textsOf(sids);
        return rows.size === sids.length && [...rows.values()].every((r) => !r.body_pending);
      }, 'every text filled', timeoutMs);
      const { rows } = await inbox.db.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs');
      assert.equal(rows[0]!.n, 0, 'no job left');
    }

    test('a large backlog is filled by list pages of our sender (one request per page, none per message); the texts reach the panels', async () => {
      const cookie = await inbox.loginCookie();
      const socket = await inbox.connectSocket(cookie);
      const panel = record(socket);
      const sent = await outsideCampaign(250);
      const chat = await inbox.db.query<{ conversation_id: string }>('SELECT conversation_id FROM messages WHERE sid = $1', [sent.at(-1)!.sid]);
      assert.equal(await watch(socket, chat.rows[0]!.conversation_id), true);

      const { rows, pages, fetches } = await fillAll(sent);
      for (const m of sent) assert.equal(rows.get(m.sid)!.body, m.body);
      assert.equal(fetches.length, 0, 'no message fetched on its own');
      // 250 of our messages (the customers' own are another sender's), 100 a page.
      assert.equal(pages.length, 3, `three pages: ${pages.map((p) => p.query).join(' ')}`);
      const first = new URLSearchParams(pages[0]!.query);
      assert.equal(first.get('From'), OUR_NUMBER);
      assert.equal(first.get('PageSize'), String(PAGE));
      const today = new Date().toISOString().slice(0, 10);
      assert.match(first.get('DateSent>')!, /^\d{4}-\d{2}-\d{2}$/, 'whole days, as Twilio documents DateSent');
      assert.ok(first.get('DateSent>')! <= today && first.get('DateSent<')! >= today);
      assert.ok(pages.slice(1).every((p) => new URLSearchParams(p.query).get('PageToken')), 'the next pages follow next_page_uri');

      const last = sent.at(-1)!;
      await waitFor(() => panel.messages.some((e) => e.event === 'updated' && e.message.sid === last.sid && e.message.body === last.body), 'the open chat gets the text');
      // The chat's last message is whichever of that customer's callbacks came last (they are sent 25 at once).
      const { rows: [latest] } = await inbox.db.query<{ body: string }>(
        'SELECT m.body FROM conversations c JOIN messages m ON m.id = c.last_message_id WHERE c.id = $1', [chat.rows[0]!.conversation_id]);
      await waitFor(() => panel.conversation(chat.rows[0]!.conversation_id)?.lastMessage?.body === latest!.body, 'the list preview shows its text');
    });

    test('a message the list does not hold (sent days before its callback) falls back to its own fetch', async () => {
      const sent = await outsideCampaign(120);
      const old = sent[40]!;
      inbox.local.updateMessage(old.sid, { dateSent: new Date(Date.now() - 3 * 86_400_000) });
      const { rows, pages, fetches } = await fillAll(sent);
      for (const m of sent) assert.equal(rows.get(m.sid)!.body, m.body);
      assert.deepEqual(fetches.map((f) => f.path.split('/').at(-1)), [`${old.sid}.json`], 'only the missing one fetched');
      assert.ok(pages.length >= 2);
    });

    test('a fill never moves a status backwards: Twilio\'s list says queued, the callbacks said read', async () => {
      const sent = await outsideCampaign(80, 'read');
      const { rows, pages, fetches } = await fillAll(sent);
      for (const m of sent) {
        assert.equal(rows.get(m.sid)!.status, 'read');
        assert.equal(rows.get(m.sid)!.body, m.body);
      }
      assert.ok(pages.length > 0 && fetches.length === 0, 'filled from the list');
    });

    test('two instances: one lists (a lease in the database), the other leaves the backlog to it; each page is asked for once', async () => {
      const sent = await outsideCampaign(250);
      const from = inbox.local.requests().length;
      const fetchers: MessageFetcher[] = [startFetcher(), startFetcher()];
      try {
        await allFilled(sent.map((m) => m.sid));
      } finally {
        await Promise.all(fetchers.map((f) => f.stop()));
      }
      const { pages, fetches } = requestsSince(inbox, from);
      assert.equal(fetches.length, 0);
      assert.equal(pages.length, 3, 'three pages, once');
      assert.equal(new Set(pages.map((p) => p.query)).size, 3);
    });

    test('during a burst of callbacks, a new pass waits until the backlog is worth 100 texts for each page the last pass listed', async () => {
      let burst = false;
      const fetcher = startMessageFetcher({ ...inbox.ctx, templates: createTemplateCatalog(inbox.ctx.twilio) }, { underLoad: () => burst, listFill: { minBacklog: 50, pageSize: PAGE } });
      try {
        // Its first pass (at start) ends before the backlog comes: a pass still running would fetch
        // the first texts one by one until its next look at the backlog, a second later (seen in CI).
        await fetcher.drain();
        const first = await outsideCampaign(120);
        const before = inbox.local.requests().length;
        // The backlog is looked at once a second while fetching.
        await new Promise((r) => setTimeout(r, 1_100));
        fetcher.wake();
        await allFilled(first.map((m) => m.sid));
        assert.ok(requestsSince(inbox, before).pages.length >= 2, 'the first backlog was listed');
        burst = true;
        // The first pass listed 2 pages at least: 150 waiting texts are not worth listing them again.
        const second = await outsideCampaign(150);
        const from = inbox.local.requests().length;
        await new Promise((r) => setTimeout(r, 1_100));
        fetcher.wake();
        await allFilled(second.map((m) => m.sid));
        const { pages, fetches } = requestsSince(inbox, from);
        assert.equal(pages.length, 0, 'no list during the burst');
        assert.equal(fetches.length, 150);
      } finally {
        await fetcher.stop();
      }
    });

    test('two instances during a burst: one of them fetches the texts one by one, at one instance\'s pace', async () => {
      // Each instance's own gateway, counting the single fetches it makes.
      const fetchesBy = [0, 0];
      const instance = (k: number) => {
        const twilio = new Proxy(inbox.ctx.twilio, {
          get(target, name, receiver) {
            const value = Reflect.get(target, name, receiver);
            if (name !== 'fetchMessage' || typeof value !== 'function') return value;
            return (...args: unknown[]) => {
              fetchesBy[k]!++;
              return value.apply(target, args);
            };
          },
        });
        const ctx = { ...inbox.ctx, twilio };
        // A backlog too small to list: single fetches only.
        return startMessageFetcher({ ...ctx, templates: createTemplateCatalog(twilio) }, { underLoad: () => true, listFill: { minBacklog: 500, pageSize: PAGE } });
      };
      const sent = await outsideCampaign(60);
      const fetchers: MessageFetcher[] = [instance(0), instance(1)];
      try {
        await allFilled(sent.map((m) => m.sid));
      } finally {
        await Promise.all(fetchers.map((f) => f.stop()));
      }
      assert.deepEqual([...fetchesBy].sort((a, b) => a - b), [0, 60], 'every single fetch made by one instance');
    });

    test('below the backlog threshold each text is fetched on its own', async () => {
      const sent = await outsideCampaign(60);
      const from = inbox.local.requests().length;
      const fetcher = startFetcher(100);
      try {
        await allFilled(sent.map((m) => m.sid));
      } finally {
        await fetcher.stop();
      }
      const { pages, fetches } = requestsSince(inbox, from);
      assert.equal(pages.length, 0);
      assert.equal(fetches.length, 60);
    });
  });
}

describe('the local Twilio pages its message list as Twilio does', () => {
  let inbox: TestInbox;
  before(async () => {
    inbox = await startTestInbox({ kind: databaseKinds()[0]!, startWorkers: false, lifecycle: { statuses: [] } });
  });
  after(() => inbox.close());

  test('PageSize up to 1,000, next_page_uri with a cursor, DateSent by whole days (both included), From', async () => {
    await inbox.local.simulateInbound({ from: 'whatsapp:+573189999999', body: 'Hola' });
    const sids: string[] = [];
    for (let i = 0; i < 2_500; i++) sids.push((await inbox.local.simulateExternalSend({ to: 'whatsapp:+573189999999', body: `m${i}` })).sid);
    const gateway = createTwilioGateway({ accountSid: inbox.accountSid, authToken: inbox.authToken, whatsappFrom: OUR_NUMBER, messagingServiceSid: null, apiUrl: inbox.local.url });
    const today = new Date().toISOString().slice(0, 10);
    const from = inbox.local.requests().length;
    const sizes: number[] = [];
    const listed: string[] = [];
    for await (const page of gateway.listMessagePagesByDay({ firstDay: today, lastDay: today, from: OUR_NUMBER, pageSize: 5_000 })) {
      sizes.push(page.length);
      listed.push(...page.map((m) => m.sid));
    }
    assert.deepEqual(sizes, [1000, 1000, 500], 'at most 1,000 a page');
    assert.deepEqual(listed, [...sids].reverse(), 'each once, newest first; the customer\'s own message is another sender\'s');
    const asked = inbox.local.requests().slice(from);
    assert.equal(asked.length, 3);
    assert.match(asked[1]!.query, /PageToken=PA(SM|MM)[0-9a-f]{32}/);

    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const count = async (firstDay: string, lastDay: string) => {
      let n = 0;
      for await (const page of gateway.listMessagePagesByDay({ firstDay, lastDay, from: OUR_NUMBER })) n += page.length;
      return n;
    };
    assert.equal(await count(yesterday, yesterday), 0);
    assert.equal(await count(tomorrow, tomorrow), 0);
    assert.equal(await count(yesterday, tomorrow), 2_500);
  });
});

test('FETCH_LIST_FILL: 200 waiting texts by default, 0 turns list fill off, a bad value stops the start naming it', () => {
  assert.equal(loadConfig({}).fetchListFill, 200);
  assert.equal(loadConfig({ FETCH_LIST_FILL: '0' }).fetchListFill, 0);
  assert.throws(() => loadConfig({ FETCH_LIST_FILL: '-5' }), (err) => err instanceof ConfigError && /FETCH_LIST_FILL/.test(err.message));
});
