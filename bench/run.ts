// `npm run bench`: figures, not assertions. Signed status callbacks against the real server on
// local PostgreSQL, the same upsert through pgbench as the floor, and callback-to-browser latency.
import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { io as connectClient } from 'socket.io-client';
import { connectPostgres } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { startLocalTwilio } from '../src/twilio/local/server.ts';
import { fmt, percentile, postForm, startServerProcess } from './support.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const LATENCY_RATE = Number(process.env.BENCH_LATENCY_RATE ?? 1000);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 15);
const PG = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const OUR_NUMBER = 'whatsapp:+14155238886';
const STATUSES = ['sent', 'delivered', 'read'] as const;

const hex = (n: number) => randomBytes(n).toString('hex');
// Twilio's signature, computed directly (the same HMAC twilio.getExpectedTwilioSignature makes).
function sign(token: string, url: string, params: Record<string, string>) {
  const data = Object.keys(params).sort().reduce((acc, k) => acc + k + params[k], url);
  return createHmac('sha1', token).update(Buffer.from(data, 'utf-8')).digest('base64');
}

async function freshDatabase(name: string) {
  const admin = connectPostgres(PG, { max: 1 });
  await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.exec(`CREATE DATABASE ${name}`);
  await admin.close();
  const url = new URL(PG);
  url.pathname = `/${name}`;
  const db = connectPostgres(url.toString(), { max: 2 });
  await migrate(db);
  return { db, url: url.toString() };
}

async function main() {
  console.log(`wa-inbox benchmark: ${SECONDS}s at concurrency ${CONCURRENCY}; latency at ${LATENCY_RATE}/s for ${LATENCY_SECONDS}s`);
  const { db, url } = await freshDatabase('wa_bench');
  const accountSid = 'AC' + hex(16);
  const authToken = hex(16);
  const port = 18080 + Math.floor(Math.random() * 1000);
  const baseUrl = `http://127.0.0.1:${port}`;
  const local = await startLocalTwilio({ accountSid, authToken, port: 0, whatsappFrom: OUR_NUMBER, lifecycle: { statuses: [] }, enforceWindow: false });
  const server = await startServerProcess({
    DATABASE_URL: url, BASE_URL: baseUrl, TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken, TWILIO_WHATSAPP_FROM: OUR_NUMBER,
    TWILIO_API_URL: local.url, LOG_LEVEL: 'warn', ADMIN_EMAIL: 'bench@example.com', ADMIN_PASSWORD: 'bench-password-1', SESSION_SECRET: 'bench-secret-0123456789',
    RECONCILE_INTERVAL: '0',
  }, port);
  const statusUrl = new URL(`${baseUrl}/api/whatsapp/status`);

  // 1. Throughput, shaped like a campaign: two thirds of the messages were sent from the panel
  //    (their rows exist), one third from outside (new SIDs: recorded on first sight, text fetched
  //    from the local Twilio). sent/delivered/read each, shuffled in blocks so most arrive out of
  //    order, and one SID in ten gets a duplicate callback.
  const expected = new Map<string, number>();
  const customerOf = new Map<string, string>();
  async function newSid(): Promise<string> {
    const to = `whatsapp:+5730${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    const { sid } = await local.simulateExternalSend({ to, body: 'Recordatorio de cita' });
    customerOf.set(sid, to);
    return sid;
  }
  const plannedSids = Math.ceil((SECONDS * 3000) / 3.3);
  const panelSids: string[] = [];
  const queue: { sid: string; status: string; to: string }[] = [];
  for (let block = 0; block * 200 < plannedSids; block++) {
    const batch: typeof queue = [];
    for (let i = 0; i < 200; i++) {
      const sid = await newSid();
      if (i % 3 !== 2) panelSids.push(sid);
      const to = customerOf.get(sid)!;
      for (const status of STATUSES) batch.push({ sid, status, to });
      if (i % 10 === 0) batch.push({ sid, status: 'delivered', to });
    }
    for (let i = batch.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [batch[i], batch[j]] = [batch[j]!, batch[i]!];
    }
    queue.push(...batch);
  }
  // The panel's own sends: rows written before Twilio was called, as sendFromPanel does.
  await db.query(`INSERT INTO contacts (phone) SELECT DISTINCT replace(unnest($1::text[]), 'whatsapp:', '') ON CONFLICT DO NOTHING`, [panelSids.map((s) => customerOf.get(s)!)]);
  await db.query(`INSERT INTO conversations (contact_id) SELECT id FROM contacts ON CONFLICT DO NOTHING`);
  await db.query(
    `INSERT INTO messages (sid, conversation_id, direction, source, captured_via, status, body)
     SELECT s.sid, c.id, 'outbound', 'panel', 'send', 'queued', 'Recordatorio de cita'
     FROM unnest($1::text[], $2::text[]) AS s(sid, phone) JOIN contacts k ON k.phone = s.phone JOIN conversations c ON c.contact_id = k.id`,
    [panelSids, panelSids.map((s) => customerOf.get(s)!.replace('whatsapp:', ''))],
  );
  console.log(`planned ${queue.length} callbacks for ${customerOf.size} SIDs (${panelSids.length} sent from the panel)`);
  const latencies: number[] = [];
  let errors = 0, sent = 0;
  const sentSids = new Set<string>();
  const stopAt = Date.now() + SECONDS * 1000;
  const started = Date.now();
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (Date.now() < stopAt && next < queue.length) {
      const cb = queue[next++]!;
      const params = {
        MessageSid: cb.sid, SmsSid: cb.sid, MessageStatus: cb.status, SmsStatus: cb.status, AccountSid: accountSid,
        From: OUR_NUMBER, To: cb.to, ChannelPrefix: 'whatsapp', ApiVersion: '2010-04-01',
      };
      const body = new URLSearchParams(params).toString();
      const t0 = performance.now();
      const status = await postForm(statusUrl, body, { 'x-twilio-signature': sign(authToken, statusUrl.toString(), params) }).catch(() => 0);
      latencies.push(performance.now() - t0);
      sent++;
      if (status !== 204) errors++;
      else {
        sentSids.add(cb.sid);
        const rank = STATUSES.indexOf(cb.status as never);
        expected.set(cb.sid, Math.max(expected.get(cb.sid) ?? -1, rank));
      }
    }
  }));
  const elapsed = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);

  const { rows } = await db.query<{ sid: string; status: string; n: string }>('SELECT sid, status, count(*) OVER (PARTITION BY sid) AS n FROM messages');
  const stored = new Map(rows.map((r) => [r.sid, r]));
  let lost = 0, duplicated = 0, wrongStatus = 0;
  for (const [sid, rank] of expected) {
    const r = stored.get(sid);
    if (!r) lost++;
    else if (r.status !== STATUSES[rank]) wrongStatus++;
  }
  duplicated = rows.filter((r) => Number(r.n) > 1).length;

  console.log('\n## Status callbacks (signed; 2/3 panel SIDs, 1/3 new external SIDs with text fetch; shuffled; 10% duplicated)');
  console.log(`callbacks: ${sent} in ${fmt(elapsed)} s = ${fmt(sent / elapsed, 0)}/s; non-204 answers: ${errors}`);
  console.log(`latency ms: p50 ${fmt(percentile(latencies, 50), 2)}, p90 ${fmt(percentile(latencies, 90), 2)}, p99 ${fmt(percentile(latencies, 99), 2)}, max ${fmt(latencies.at(-1)!, 2)}`);
  console.log(`messages: ${expected.size} SIDs called back, each checked in the database: lost ${lost}, duplicated ${duplicated}, wrong final status ${wrongStatus}`);

  // 2. Callback-to-browser latency: a logged-in Socket.IO client, callbacks paced at LATENCY_RATE/s.
  const login = await fetch(`${baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'bench@example.com', password: 'bench-password-1' }) });
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const socket = connectClient(baseUrl, { transports: ['websocket'], extraHeaders: { cookie } });
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
  // Send times per SID, oldest first: an event for a SID answers its oldest unanswered callback
  // (a reordered pair may raise one event for both; the other is counted as coalesced).
  const sentAt = new Map<string, number[]>();
  const eventLatency: number[] = [];
  const onEvent = (m: { sid: string | null }) => {
    const times = m.sid ? sentAt.get(m.sid) : undefined;
    const t = times?.shift();
    if (t !== undefined) eventLatency.push(performance.now() - t);
  };
  socket.on('message:new', onEvent);
  socket.on('message:updated', onEvent);
  const pacedSids: string[] = [];
  for (let i = 0; i < LATENCY_RATE * LATENCY_SECONDS / 2; i++) pacedSids.push(await newSid());
  const total = pacedSids.length * 2;
  const t0 = performance.now();
  const inflight: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / LATENCY_RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const sid = pacedSids[Math.floor(i / 2)]!;
    const status = i % 2 === 0 ? 'sent' : 'delivered';
    const to = customerOf.get(sid)!;
    const params = { MessageSid: sid, MessageStatus: status, AccountSid: accountSid, From: OUR_NUMBER, To: to };
    if (!sentAt.has(sid)) sentAt.set(sid, []);
    sentAt.get(sid)!.push(performance.now());
    inflight.push(postForm(statusUrl, new URLSearchParams(params).toString(), { 'x-twilio-signature': sign(authToken, statusUrl.toString(), params) }));
    if (inflight.length > 500) await Promise.all(inflight.splice(0));
  }
  await Promise.all(inflight);
  await new Promise((r) => setTimeout(r, 2000));
  socket.close();
  eventLatency.sort((a, b) => a - b);
  console.log(`\n## Callback to Socket.IO client at ${LATENCY_RATE}/s`);
  console.log(`events: ${eventLatency.length} of ${total}; latency ms: p50 ${fmt(percentile(eventLatency, 50), 2)}, p99 ${fmt(percentile(eventLatency, 99), 2)}, max ${fmt(eventLatency.at(-1) ?? NaN, 2)}`);

  console.log(`\n## Server process\npeak RSS: ${fmt(server.peakRssMb(), 0)} MB`);
  await server.stop();
  await local.close();

  // 3. The floor: the same conditional advance straight through pgbench, same concurrency.
  const sidsForPgbench = 20_000;
  await db.query(`INSERT INTO contacts (phone) VALUES ('+570000000000') ON CONFLICT DO NOTHING`);
  await db.query(`INSERT INTO conversations (contact_id) SELECT id FROM contacts WHERE phone = '+570000000000' ON CONFLICT DO NOTHING`);
  await db.query(`INSERT INTO messages (sid, conversation_id, direction, source, captured_via, status)
    SELECT 'PG' || g, (SELECT id FROM conversations LIMIT 1), 'outbound', 'external', 'callback', 'queued' FROM generate_series(1, ${sidsForPgbench}) g`);
  const script = `${tmpdir()}/wa-bench-upsert.sql`;
  writeFileSync(script, `\\set n random(1, ${sidsForPgbench})
\\set s random(1, 3)
INSERT INTO messages AS m (sid, conversation_id, direction, source, captured_via, status)
VALUES ('PG' || :n, (SELECT id FROM conversations LIMIT 1), 'outbound', 'external', 'callback', (ARRAY['sent','delivered','read'])[:s])
ON CONFLICT (sid) DO UPDATE SET status = EXCLUDED.status, seq = nextval('change_seq')
WHERE wa_status_rank(EXCLUDED.status) > wa_status_rank(m.status);
`);
  await db.close();
  console.log(`\n## pgbench floor (the upsert alone, concurrency ${CONCURRENCY}, 15 s)`);
  try {
    const out = execFileSync('pgbench', ['-n', '-c', String(CONCURRENCY), '-j', '2', '-T', '15', '-f', script, url], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const tps = /tps = ([\d.]+)/.exec(out)?.[1];
    const lat = /latency average = ([\d.]+) ms/.exec(out)?.[1];
    console.log(`pgbench: ${fmt(Number(tps), 0)} upserts/s, average latency ${lat} ms`);
  } catch (err) {
    console.log(`pgbench could not run: ${(err as Error).message.split('\n')[0]}`);
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
