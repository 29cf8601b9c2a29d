// Panel benchmark (figures, not assertions): a database of 10,000 conversations and 1,000,000
// messages; how long headless Chromium takes to show the first list, and to open a conversation
// of 5,000 messages; how long the filtered lists and the searches take over HTTP.
import { buildPanel } from '../scripts/build-panel.mjs';
import { connectPostgres } from '../src/db/database.ts';
import { startLocalTwilio } from '../src/twilio/local/server.ts';
import { launchChromium } from '../test/browser/browser.ts';
import { fmt, freshDatabase, percentile, startServerProcess } from './support.ts';

const CONVERSATIONS = Number(process.env.BENCH_CONVERSATIONS ?? 10_000);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 1_000_000);
const BIG = 5_000;
const RUNS = 5;

async function main() {
  // The panel measured is the one in web/ now, not whatever web/dist a past build left.
  buildPanel();
  const { db, url } = await freshDatabase('wa_bench_panel');

  console.log(`## Panel on ${CONVERSATIONS.toLocaleString('en-US')} conversations and ${MESSAGES.toLocaleString('en-US')} messages`);
  const t0 = Date.now();
  await db.exec(`
    INSERT INTO contacts (phone, name, name_source)
      SELECT '+5730' || lpad(g::text, 8, '0'), 'Paciente ' || g, 'profile' FROM generate_series(1, ${CONVERSATIONS}) g;
    INSERT INTO senders (address) VALUES ('whatsapp:+14155238886') ON CONFLICT DO NOTHING;
    INSERT INTO conversations (contact_id, sender_id, last_inbound_at) SELECT id, (SELECT id FROM senders ORDER BY created_at, address LIMIT 1), now() - interval '2 hours' FROM contacts;
    CREATE TEMP TABLE conv_order AS SELECT id, row_number() OVER (ORDER BY id) AS n FROM conversations;
    -- The first conversation holds ${BIG} messages; the rest share the remainder.
    INSERT INTO messages (sid, conversation_id, direction, source, captured_via, status, body, created_at)
      SELECT 'SM' || md5(g::text), c.id,
        CASE WHEN g % 3 = 0 THEN 'inbound' ELSE 'outbound' END,
        CASE WHEN g % 3 = 0 THEN 'inbound' WHEN g % 3 = 1 THEN 'panel' ELSE 'external' END,
        CASE WHEN g % 3 = 0 THEN 'webhook' WHEN g % 3 = 1 THEN 'send' ELSE 'callback' END,
        CASE WHEN g % 3 = 0 THEN 'received' ELSE 'read' END,
        -- One message in a thousand is about the vaccination campaign (what a search looks for).
        CASE WHEN g % 1000 = 7 THEN 'Pregunta por la Campaña de vacunación, número ' || g
          ELSE 'Mensaje de prueba número ' || g || ' sobre el examen ocupacional' END,
        now() - make_interval(secs => ${MESSAGES} - g)
      FROM generate_series(1, ${MESSAGES}) g
      JOIN conv_order c ON c.n = CASE WHEN g <= ${BIG} THEN 1 ELSE 2 + (g % (${CONVERSATIONS} - 1)) END;
    UPDATE conversations c SET last_message_id = x.id, last_message_at = x.created_at
      FROM (SELECT DISTINCT ON (conversation_id) conversation_id, id, created_at FROM messages ORDER BY conversation_id, created_at DESC) x
      WHERE x.conversation_id = c.id;
    ANALYZE;
  `);
  const big = (await db.query<{ id: string }>(`SELECT conversation_id AS id FROM messages GROUP BY conversation_id ORDER BY count(*) DESC LIMIT 1`)).rows[0]!.id;
  console.log(`seeded in ${fmt((Date.now() - t0) / 1000)} s`);
  await db.close();

  const accountSid = 'AC' + '1'.repeat(32);
  const authToken = 'f'.repeat(32);
  const local = await startLocalTwilio({ accountSid, authToken, port: 0, whatsappFrom: 'whatsapp:+14155238886' });
  const port = 19080 + Math.floor(Math.random() * 500);
  const baseUrl = `http://127.0.0.1:${port}`;
  const server = await startServerProcess({
    DATABASE_URL: url, BASE_URL: baseUrl, TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken,
    TWILIO_WHATSAPP_FROM: 'whatsapp:+14155238886', TWILIO_API_URL: local.url, LOG_LEVEL: 'warn',
    ADMIN_EMAIL: 'bench@example.com', ADMIN_PASSWORD: 'bench-password-1', SESSION_SECRET: 'bench-secret-0123456789', RECONCILE_INTERVAL: '0',
  }, port);

  // The filters' share of the inbox: a third assigned to the signed-in admin, a quarter resolved,
  // a fifth unread (the admin exists once the server has started).
  const seeded = connectPostgres(url, { max: 1 });
  await seeded.exec(`
    UPDATE conversations SET assignee_id = (SELECT id FROM users WHERE email = 'bench@example.com') WHERE hashtext(id::text) % 3 = 0;
    UPDATE conversations SET status = 'resolved' WHERE hashtext(id::text || 's') % 4 = 0;
    UPDATE conversations SET unread_count = 1 WHERE hashtext(id::text || 'u') % 5 = 0;
    ANALYZE conversations;
  `);
  await seeded.close();

  const browser = await launchChromium();
  try {
    await measure(browser, baseUrl, big);
    console.log(`server peak RSS: ${fmt(server.peakRssMb(), 0)} MB`);
  } finally {
    await browser.close();
    await server.stop();
    await local.close();
  }
}

async function measure(browser: Awaited<ReturnType<typeof launchChromium>>, baseUrl: string, big: string) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(baseUrl + '/');
  await page.getByTestId('login-email').fill('bench@example.com');
  await page.getByTestId('login-password').fill('bench-password-1');
  await page.getByTestId('login-submit').click();
  await page.getByTestId('conversation-item').first().waitFor();

  const listTimes: number[] = [];
  const chatTimes: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    // A cold load of the app with a valid session: navigation to the first list row painted.
    let start = performance.now();
    await page.goto(baseUrl + '/', { waitUntil: 'commit' });
    await page.getByTestId('conversation-item').first().waitFor();
    listTimes.push(performance.now() - start);
    // Opening the 5,000-message conversation: navigation to its last bubbles painted.
    start = performance.now();
    await page.goto(`${baseUrl}/c/${big}`, { waitUntil: 'commit' });
    await page.getByTestId('message-bubble').last().waitFor();
    chatTimes.push(performance.now() - start);
  }
  listTimes.sort((a, b) => a - b);
  chatTimes.sort((a, b) => a - b);
  console.log(`first list shown (cold page load, ${RUNS} runs): median ${fmt(percentile(listTimes, 50), 0)} ms, worst ${fmt(listTimes.at(-1)!, 0)} ms`);
  console.log(`${BIG}-message conversation opened (${RUNS} runs): median ${fmt(percentile(chatTimes, 50), 0)} ms, worst ${fmt(chatTimes.at(-1)!, 0)} ms`);

  // Filtered lists, as the chips ask for them (the page's session): the first page, and the chips' counts.
  // Search (case and accents ignored): a rare word typed without its accent, a name, a phone, a word
  // in every message, one exact message; the chips' counts under a search; matching messages.
  for (const query of ['assignee=me&status=open', 'assignee=none&status=open', 'status=resolved', 'status=open&unread=true', 'assignee=me&status=open&q=examen', 'counts?status=open',
    'q=campana', 'q=paciente%209876', 'q=3000009876', 'q=examen', 'q=numero%20777007', 'counts?status=open&q=campana', 'search:q=campana', 'search:q=numero%20777007', 'search:q=examen']) {
    const path = query.startsWith('counts') ? `/api/conversations/${query}`
      : query.startsWith('search:') ? `/api/search/messages?${query.slice('search:'.length)}` : `/api/conversations?${query}`;
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const start = performance.now();
      const res = await page.request.get(baseUrl + path);
      if (!res.ok()) throw new Error(`${path}: ${res.status()}`);
      await res.body();
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    console.log(`GET ${path} (20 runs): median ${fmt(percentile(times, 50), 1)} ms, worst ${fmt(times.at(-1)!, 1)} ms`);
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
