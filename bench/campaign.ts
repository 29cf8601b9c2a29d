// A template campaign as Twilio calls it back: every SID gets sent/delivered/read (a few
// sent/undelivered), shuffled within blocks so most arrive out of order, one in ten duplicated.
// Run through one or several server processes; every figure comes with the database check.
import twilio from 'twilio';
import type { Database, Queryable } from '../src/db/database.ts';
import type { LocalTwilio } from '../src/twilio/local/server.ts';
import type { PanelClientsSetup, PanelReport } from './panel-clients.ts';
import type { CallersReport, CallersSetup } from './callers.ts';
import { encodeRequest } from './raw-http.ts';
import { commandCpuSeconds, cpuSince, fmt, machineCpuSeconds, percentile, postgresCpu, startCpuSampler, startGeneratorProfile, startTsWorker, workerReport, type ServerProcess } from './support.ts';

export const OUR_NUMBER = 'whatsapp:+14155238886';
const FINAL_ORDER = ['sent', 'delivered', 'read', 'undelivered'] as const;
type CampaignStatus = (typeof FINAL_ORDER)[number];
const rank = (s: string) => FINAL_ORDER.indexOf(s as CampaignStatus);

export interface CampaignMessage {
  sid: string;
  to: string;
  /** Sent from the panel (our row exists before the first callback) or from outside. */
  fromPanel: boolean;
  /** Our row's id, for a panel send: Twilio calls back to `?mid=<id>`, as sendFromPanel asks it to. */
  ourId?: string;
  final: CampaignStatus;
}

export interface Campaign {
  messages: CampaignMessage[];
  callbacks: { sid: string; to: string; status: CampaignStatus }[];
}

/**
 * Dates the campaign's messages at the local Twilio as sent now. A campaign is planned once and
 * played several times; Twilio's date_sent comes just before a message's first callback, and the
 * texts' list fill lists by it (15 minutes' margin), so a replay minutes after planning would see
 * every message "sent" long before its callbacks and fall back to fetching them one by one.
 */
export function markSentNow(local: LocalTwilio, campaign: Campaign): void {
  const now = new Date();
  for (const m of campaign.messages) local.updateMessage(m.sid, { dateCreated: now, dateSent: now });
}

/** Creates the campaign's messages in the local Twilio (so text fetches find them) and its callbacks. */
export async function planCampaign(local: LocalTwilio, size: number, o: { externalShare?: number; undeliveredShare?: number } = {}): Promise<Campaign> {
  const messages: CampaignMessage[] = [];
  const callbacks: Campaign['callbacks'] = [];
  const externalEvery = Math.round(1 / (o.externalShare ?? 1 / 3));
  const undeliveredEvery = Math.round(1 / (o.undeliveredShare ?? 0.03));
  const BLOCK = 200;
  for (let start = 0; start < size; start += BLOCK) {
    const block: Campaign['callbacks'] = [];
    for (let i = start; i < Math.min(size, start + BLOCK); i++) {
      const to = `whatsapp:+573${String(100_000_000 + i).slice(-9)}`;
      const { sid } = await local.simulateExternalSend({ to, body: `Hola, le recordamos su examen ocupacional (${i})` });
      const final: CampaignStatus = i % undeliveredEvery === 7 ? 'undelivered' : 'read';
      messages.push({ sid, to, fromPanel: i % externalEvery !== externalEvery - 1, final });
      const steps: CampaignStatus[] = final === 'read' ? ['sent', 'delivered', 'read'] : ['sent', 'undelivered', 'sent'];
      for (const status of steps) block.push({ sid, to, status });
      if (i % 10 === 0) block.push({ sid, to, status: steps[1]! });
    }
    for (let i = block.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [block[i], block[j]] = [block[j]!, block[i]!];
    }
    callbacks.push(...block);
  }
  return { messages, callbacks };
}

/** The panel's own sends: rows written before Twilio was called, as sendFromPanel writes them. */
export async function insertPanelRows(db: Database, campaign: Campaign): Promise<void> {
  const panel = campaign.messages.filter((m) => m.fromPanel);
  for (let i = 0; i < panel.length; i += 10_000) {
    const chunk = panel.slice(i, i + 10_000);
    const phones = chunk.map((m) => m.to.replace('whatsapp:', ''));
    await db.query(`INSERT INTO contacts (phone) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`, [phones]);
    await db.query(`INSERT INTO senders (address) VALUES ('whatsapp:+14155238886') ON CONFLICT DO NOTHING`);
    await db.query(`INSERT INTO conversations (contact_id, sender_id) SELECT id, (SELECT id FROM senders ORDER BY created_at, address LIMIT 1) FROM contacts WHERE phone = ANY($1::text[]) ON CONFLICT DO NOTHING`, [phones]);
    const { rows } = await db.query<{ id: string; sid: string }>(
      `WITH saved AS (
         INSERT INTO messages (sid, conversation_id, direction, source, captured_via, status, body)
         SELECT s.sid, c.id, 'outbound', 'panel', 'send', 'queued', 'Hola, le recordamos su examen ocupacional'
         FROM unnest($1::text[], $2::text[]) AS s(sid, phone) JOIN contacts k ON k.phone = s.phone JOIN conversations c ON c.contact_id = k.id
         RETURNING id, sid, conversation_id, created_at),
       activity AS (
         UPDATE conversations c SET last_message_id = saved.id, last_message_at = saved.created_at, seq = nextval('change_seq')
         FROM saved WHERE c.id = saved.conversation_id)
       SELECT id, sid FROM saved`,
      [chunk.map((m) => m.sid), phones],
    );
    const ids = new Map(rows.map((r) => [r.sid, r.id]));
    for (const m of chunk) m.ourId = ids.get(m.sid);
  }
}

/** Answers to callbacks sent before this are also left out of a second set of latency figures. */
const WARM_AFTER_MS = 5_000;

/**
 * When a browser event showed each SID's status (or a later one). The callers' thread writes when
 * each callback left; the latencies are read once the campaign is over.
 */
class EventClock {
  private shownBySid = new Map<string, { rank: number; at: number }[]>();
  /** `at`: when the panel saw it, as timeOrigin + now in its own thread. */
  shown(sid: string, status: string, at: number): void {
    const list = this.shownBySid.get(sid);
    if (list) list.push({ rank: rank(status), at });
    else this.shownBySid.set(sid, [{ rank: rank(status), at }]);
  }
  /** For each callback sent at `at` (absolute): until the first event after it that showed its status or a later one; none if no event did. */
  latencies(sent: Iterable<{ sid: string; status: string; at: number }>): number[] {
    const out: number[] = [];
    for (const s of sent) {
      const r = rank(s.status);
      let first = Infinity;
      for (const e of this.shownBySid.get(s.sid) ?? []) if (e.rank >= r && e.at >= s.at && e.at < first) first = e.at;
      if (first !== Infinity) out.push(first - s.at);
    }
    return out.sort((a, b) => a - b);
  }
}

/** A panel that keeps this chat open: the campaign message whose events it times. */
export interface WatchedChat {
  sid: string;
  conversationId: string;
}

/** Up to `watchers` chats of panel sends, spread over the campaign. */
export async function chooseWatchedChats(db: Queryable, campaign: Campaign, watchers: number): Promise<WatchedChat[]> {
  const panelMessages = campaign.messages.filter((m) => m.fromPanel);
  const step = Math.max(1, Math.floor(panelMessages.length / watchers));
  const chosen: WatchedChat[] = [];
  for (let i = 0; i < panelMessages.length && chosen.length < watchers; i += step) {
    const m = panelMessages[i]!;
    const { rows } = await db.query<{ conversation_id: string }>('SELECT conversation_id FROM messages WHERE sid = $1', [m.sid]);
    chosen.push({ sid: m.sid, conversationId: rows[0]!.conversation_id });
  }
  return chosen;
}

/** How long the local Twilio stays without a request before the outside texts count as fetched (PGlite). */
const TWILIO_QUIET_MS = 2_000;

export interface CampaignRun {
  label: string;
  /**
   * Where the figures are checked. PostgreSQL is read beside the running servers. PGlite's folder
   * is its one server's while it runs: the chats to watch are chosen before it starts, the outside
   * texts are taken as fetched once the local Twilio has had no request for 2 s, and the folder is
   * opened after the server has stopped (which also shows every answered callback survived it).
   */
  database: { db: Database } | { openAfterStop: () => Promise<Database>; watch: WatchedChat[] };
  /** The local Twilio the servers talk to: its requests tell how the texts were fetched. */
  twilio: LocalTwilio;
  servers: { url: string; process: ServerProcess }[];
  accountSid: string;
  authToken: string;
  /** The public URL Twilio signs (every instance has the same BASE_URL behind a load balancer). */
  baseUrl: string;
  admin: { email: string; password: string };
  concurrency: number;
  /** Callbacks per second; omitted: as fast as the servers answer. */
  rate?: number;
  /** Panels that keep one chat of the campaign open each (chat event latency); every one also gets the list. Default 20 (a busy front desk). */
  watchers?: number;
}

/** Plays the campaign's callbacks against the servers (round robin) and prints the figures and the database check. */
/** What a run measured, for the bench's summary against the issue's targets. */
export interface CampaignFigures {
  perSecond: number;
  /** Answer latency after the first seconds, ms. */
  answerP99: number;
  answerP50: number;
  listP99: number;
  chatP99: number;
  /** CPU per callback, µs. */
  serverUs: number;
  postgresUs: number;
  /** Server + load generator + PostgreSQL (this database's backends and its shared processes) + Redis. */
  attributedUs: number;
  machineUs: number;
}

export async function runCampaign(campaign: Campaign, run: CampaignRun): Promise<CampaignFigures> {
  // Callbacks of panel sends carry our id (`?mid=`), like the statusCallback sendFromPanel sets.
  const ourIds = new Map(campaign.messages.filter((m) => m.ourId).map((m) => [m.sid, m.ourId!]));
  const pathOf = (sid: string) => `/api/whatsapp/status${ourIds.has(sid) ? `?mid=${ourIds.get(sid)}` : ''}`;
  const last = run.servers.at(-1)!.url;

  // Panels on the last instance: with two, half the events cross through Redis to reach them.
  const login = await fetch(`${last}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(run.admin) });
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const listClock = new EventClock();
  const chatClock = new EventClock();
  let batches = 0;
  let listEntries = 0;
  // The outside messages' texts as the list panel showed them: how many, and when the last one came.
  const outside = new Set(campaign.messages.filter((m) => !m.fromPanel).map((m) => m.sid));
  const textsShown = new Set<string>();
  let lastTextShownAt = 0;
  const chats = 'db' in run.database ? await chooseWatchedChats(run.database.db, campaign, run.watchers ?? Number(process.env.BENCH_PANELS ?? 20)) : run.database.watch;
  const watchedSids = new Set(chats.map((c) => c.sid));
  const watch = chats.map((c) => c.conversationId);
  const panels = startTsWorker(new URL('./panel-clients.ts', import.meta.url), { url: last, cookie, watch } satisfies PanelClientsSetup);
  panels.on('message', (r: PanelReport) => {
    if (r.kind === 'list') {
      batches++;
      listEntries += r.entries;
      for (const [sid, status] of r.shown) listClock.shown(sid, status, r.at);
      for (const sid of r.texts) {
        if (!outside.has(sid) || textsShown.has(sid)) continue;
        textsShown.add(sid);
        lastTextShownAt = r.at;
      }
    } else if (r.kind === 'chat') for (const [sid, status] of r.shown) chatClock.shown(sid, status, r.at);
  });
  const panelsClosed = workerReport<PanelReport, 'closed'>(panels, 'closed');
  await workerReport<PanelReport, 'ready'>(panels, 'ready');

  // Every callback is signed and encoded before the clock starts, as Twilio's own are: out there
  // they cost this machine nothing.
  const host = new URL(run.baseUrl).host;
  const requests = campaign.callbacks.map((cb) => {
    const params: Record<string, string> = {
      MessageSid: cb.sid, SmsSid: cb.sid, MessageStatus: cb.status, SmsStatus: cb.status, AccountSid: run.accountSid,
      From: OUR_NUMBER, To: cb.to, ChannelPrefix: 'whatsapp', ApiVersion: '2010-04-01',
      ...(cb.status === 'undelivered' ? { ErrorCode: '63024', ChannelStatusMessage: 'Invalid recipient' } : {}),
    };
    const path = pathOf(cb.sid);
    return encodeRequest({
      method: 'POST', host, path, body: new URLSearchParams(params).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(run.authToken, run.baseUrl + path, params) },
    });
  });
  // Shared with the callers' thread, which sends them and writes when each left and how it was answered.
  const ends = new Int32Array(new SharedArrayBuffer(4 * requests.length));
  requests.reduce((at, r, i) => (ends[i] = at + r.length), 0);
  const bytes = new Uint8Array(new SharedArrayBuffer(ends.at(-1) ?? 0));
  requests.forEach((r, i) => bytes.set(r, i ? ends[i - 1]! : 0));
  const count = campaign.callbacks.length;
  const setup: CallersSetup = {
    ports: run.servers.map((s) => Number(new URL(s.url).port)), concurrency: run.concurrency, rate: run.rate, bytes, ends,
    sentAt: new Float64Array(new SharedArrayBuffer(8 * count)), latency: new Float64Array(new SharedArrayBuffer(8 * count)), status: new Int16Array(new SharedArrayBuffer(2 * count)),
  };
  const callers = startTsWorker(new URL('./callers.ts', import.meta.url), setup);
  await workerReport<CallersReport, 'ready'>(callers, 'ready');

  const cpuBefore = {
    servers: run.servers.map((s) => s.process.cpuSeconds()), generator: process.cpuUsage(), machine: machineCpuSeconds(),
    postgres: 'db' in run.database ? await postgresCpu(run.database.db) : null, redis: commandCpuSeconds('redis-server'),
  };
  const databaseName = 'db' in run.database ? (await run.database.db.query<{ name: string }>('SELECT current_database() AS name')).rows[0]!.name : null;
  const twilioRequestsBefore = run.twilio.requests().length;
  const sampler = startCpuSampler();
  const generatorProfile = process.env.BENCH_PROFILE ? await startGeneratorProfile() : null;
  const done = workerReport<CallersReport, 'done'>(callers, 'done');
  callers.postMessage('go');
  const { started, ended } = await done;
  await callers.terminate();
  const errors = setup.status.filter((status) => status !== 204).length;
  const elapsed = (ended - started) / 1000;
  await generatorProfile?.stop();
  const sentAll = performance.now();
  // Where the machine's CPU went while the callbacks were played: how much each callback costs the server.
  const machine = machineCpuSeconds();
  const postgresAfter = 'db' in run.database ? await postgresCpu(run.database.db) : null;
  const processes = sampler.stop();
  // This database's backends that ended before the last reading (a pool closes its idle
  // connections), counted up to their last sample.
  const endedBackends = [...processes].filter(([pid, p]) => databaseName && p.command === 'postgres' && p.args.includes(` ${databaseName} `) && !postgresAfter?.ours.has(pid));
  const postgresEnded = endedBackends.reduce((sum, [, p]) => sum + p.cpu, 0);
  const postgresOurs = (cpuBefore.postgres && postgresAfter ? cpuSince(cpuBefore.postgres.ours, postgresAfter.ours) : 0) + postgresEnded;
  const postgresShared = cpuBefore.postgres && postgresAfter ? cpuSince(cpuBefore.postgres.shared, postgresAfter.shared) : 0;
  const redisCpu = commandCpuSeconds('redis-server') - cpuBefore.redis;
  const serverCpu = run.servers.map((s, i) => s.process.cpuSeconds() - cpuBefore.servers[i]!);
  const generatorCpu = (() => { const u = process.cpuUsage(cpuBefore.generator); return (u.user + u.system) / 1e6; })();
  const machineBusySeconds = machine.busy - cpuBefore.machine.busy;
  const machineBusy = machineBusySeconds / (machine.total - cpuBefore.machine.total);
  // The rest is everything else the machine did meanwhile (the kernel, other work on the machine).
  const serverTotalCpu = serverCpu.reduce((a, b) => a + b, 0);
  const restCpu = machineBusySeconds - serverTotalCpu - generatorCpu - postgresOurs - postgresShared - redisCpu;
  // The rest, split: the machine's other processes (by command name, the busiest first), and what no
  // process holds (the kernel's own work, and what processes did between their last sample and their end).
  const ourPids = new Set([process.pid, ...run.servers.map((s) => s.process.child.pid!), ...endedBackends.map(([pid]) => pid),
    ...(postgresAfter ? [...postgresAfter.ours.keys(), ...postgresAfter.shared.keys()] : [])]);
  const otherByCommand = new Map<string, number>();
  let everyProcess = 0;
  for (const [pid, p] of processes) {
    everyProcess += p.cpu;
    if (ourPids.has(pid) || p.command === 'redis-server' || p.cpu <= 0) continue;
    otherByCommand.set(p.command, (otherByCommand.get(p.command) ?? 0) + p.cpu);
  }
  const otherCpu = [...otherByCommand.values()].reduce((a, b) => a + b, 0);
  const busiestOthers = [...otherByCommand].sort((a, b) => b[1] - a[1]).slice(0, 3);

  // The outside messages' texts are fetched in the background; the run ends when all are in.
  const database = run.database;
  if ('db' in database) {
    let pendingTexts = Infinity;
    while (pendingTexts > 0 && performance.now() - sentAll < 600_000) {
      const { rows } = await database.db.query<{ n: string }>('SELECT count(*) AS n FROM messages WHERE body_pending');
      pendingTexts = Number(rows[0]!.n);
      if (pendingTexts > 0) await new Promise((r) => setTimeout(r, 250));
    }
  } else {
    let seen = -1;
    let quietSince = performance.now();
    while (performance.now() - quietSince < TWILIO_QUIET_MS && performance.now() - sentAll < 600_000) {
      const count = run.twilio.requests().length;
      if (count !== seen) [seen, quietSince] = [count, performance.now()];
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const textsDoneAfter = (performance.now() - sentAll) / 1000 - ('db' in database ? 0 : TWILIO_QUIET_MS / 1000);
  // The texts are work too, done during the callbacks or after them: the machine's CPU until the last one.
  const machineUntilTexts = machineCpuSeconds().busy - cpuBefore.machine.busy;
  await new Promise((r) => setTimeout(r, 1000)); // the last list batch
  panels.postMessage({ kind: 'close' });
  await panelsClosed;
  const peaks = run.servers.map((s) => fmt(s.process.peakRssMb(), 0) + ' MB').join(' + ');
  const rssAtEnd = run.servers.map((s) => fmt(s.process.rssMb(), 0) + ' MB').join(' + ');
  let db: Database;
  if ('db' in database) db = database.db;
  else {
    for (const s of run.servers) await s.process.stop();
    db = await database.openAfterStop();
  }
  // The first seconds open 50 connections, prepare statements and compile the hot paths: 1% of a
  // campaign's callbacks fall there, enough to set its p99 alone. Both are printed.
  const latencies = setup.latency.slice().sort();
  const warm = setup.latency.filter((_, i) => setup.sentAt[i]! - started >= WARM_AFTER_MS).sort();
  const sent = (only?: Set<string>) => campaign.callbacks.flatMap((cb, i) => (!only || only.has(cb.sid) ? [{ sid: cb.sid, status: cb.status, at: setup.sentAt[i]! }] : []));
  const listLatencies = listClock.latencies(sent());
  const chatLatencies = chatClock.latencies(sent(watchedSids));

  // The database check: exactly one row per SID, each with its final status.
  const { rows } = await db.query<{ sid: string; status: string; error_code: number | null; body: string | null; source: string }>(
    'SELECT sid, status, error_code, body, source FROM messages',
  );
  if (!('db' in database)) await db.close();
  const bySid = new Map(rows.map((r) => [r.sid, r]));
  let missing = 0, wrongStatus = 0, wrongSource = 0, noText = 0;
  for (const m of campaign.messages) {
    const r = bySid.get(m.sid);
    if (!r) missing++;
    else {
      if (r.status !== m.final || (m.final === 'undelivered' && r.error_code !== 63024)) wrongStatus++;
      if (r.source !== (m.fromPanel ? 'panel' : 'external')) wrongSource++;
      if (!r.body) noText++;
    }
  }
  console.log(`\n## ${run.label}`);
  console.log(`callbacks: ${campaign.callbacks.length.toLocaleString('en-US')} in ${fmt(elapsed)} s = ${fmt(campaign.callbacks.length / elapsed, 0)}/s; non-204 answers: ${errors}`);
  const spread = (l: Float64Array) => !l.length ? 'none (the run was shorter)' : `p50 ${fmt(percentile(l, 50), 2)}, p90 ${fmt(percentile(l, 90), 2)}, p99 ${fmt(percentile(l, 99), 2)}, max ${fmt(l.at(-1)!, 2)}`;
  console.log(`answer latency ms: ${spread(latencies)}; after the first ${WARM_AFTER_MS / 1000} s: ${spread(warm)}`);
  console.log(`callback to list batch (${watch.length + 1} panels, ${batches} batches, ${listEntries.toLocaleString('en-US')} entries): p50 ${fmt(percentile(listLatencies, 50), 1)} ms, p99 ${fmt(percentile(listLatencies, 99), 1)} ms (${listLatencies.length.toLocaleString('en-US')} callbacks that changed the list)`);
  console.log(`callback to message event (${watchedSids.size} panels with one chat open): p50 ${fmt(percentile(chatLatencies, 50), 1)} ms, p99 ${fmt(percentile(chatLatencies, 99), 1)} ms (${chatLatencies.length} events)`);
  const perCallback = (seconds: number) => fmt((seconds * 1e6) / campaign.callbacks.length, 0);
  console.log(`CPU while playing: machine ${fmt(machineBusy * 100, 0)}% busy; server ${serverCpu.map((c) => fmt(c)).join(' + ')} s (${perCallback(serverTotalCpu)} µs a callback), ` +
    `load generator with local Twilio and panels ${fmt(generatorCpu)} s (${perCallback(generatorCpu)} µs), PostgreSQL's backends ${fmt(postgresOurs)} s (${perCallback(postgresOurs)} µs; ${endedBackends.length} that ended meanwhile ${fmt(postgresEnded)} s) ` +
    `and its shared processes ${fmt(postgresShared)} s (${perCallback(postgresShared)} µs), ` +
    `Redis ${fmt(redisCpu)} s (${perCallback(redisCpu)} µs), the rest ${fmt(restCpu)} s (${perCallback(restCpu)} µs: ` +
    `the machine's other processes ${fmt(otherCpu)} s, ${perCallback(otherCpu)} µs${busiestOthers.length ? ` (${busiestOthers.map(([c, s]) => `${c} ${fmt(s)} s`).join(', ')})` : ''}; ` +
    `in no process, the kernel's own work and processes' last moments, ${fmt(machineBusySeconds - everyProcess)} s, ${perCallback(machineBusySeconds - everyProcess)} µs); ` +
    `whole machine ${perCallback(machineBusySeconds)} µs a callback, server + generator + PostgreSQL + Redis ${perCallback(serverTotalCpu + generatorCpu + postgresOurs + postgresShared + redisCpu)} µs`);
  console.log(`machine CPU from the first callback to the last text: ${fmt(machineUntilTexts)} s (${perCallback(machineUntilTexts)} µs a callback)`);
  console.log(`outside texts all fetched ${fmt(textsDoneAfter)} s after the last callback` + (outside.size
    ? `; shown in the list panel: ${textsShown.size.toLocaleString('en-US')} of ${outside.size.toLocaleString('en-US')}, the last ${fmt(Math.max(0, (lastTextShownAt - (performance.timeOrigin + sentAll)) / 1000))} s after the last callback`
    : ''));
  // How the texts came: pages of Twilio's list, or one fetch a message (and what else was asked).
  const twilioRequests = run.twilio.requests().slice(twilioRequestsBefore).filter((r) => r.method === 'GET');
  const listPages = twilioRequests.filter((r) => r.path.endsWith('/Messages.json')).length;
  const singleFetches = twilioRequests.filter((r) => /\/Messages\/[^/]+\.json$/.test(r.path)).length;
  console.log(`Twilio asked while playing and until the last text: ${listPages.toLocaleString('en-US')} list pages, ${singleFetches.toLocaleString('en-US')} single message fetches, ` +
    `${(twilioRequests.length - listPages - singleFetches).toLocaleString('en-US')} other GETs`);
  console.log(`server memory: peak RSS ${peaks}, ${rssAtEnd} at the end`);
  console.log(
    `database: ${rows.length.toLocaleString('en-US')} messages for ${campaign.messages.length.toLocaleString('en-US')} SIDs — ` +
    `missing ${missing}, extra ${rows.length - (campaign.messages.length - missing)}, wrong final status ${wrongStatus}, wrong source ${wrongSource}, without text ${noText}`,
  );
  const us = (seconds: number) => (seconds * 1e6) / campaign.callbacks.length;
  return {
    perSecond: campaign.callbacks.length / elapsed,
    answerP99: percentile(warm, 99),
    answerP50: percentile(warm, 50),
    listP99: percentile(listLatencies, 99),
    chatP99: percentile(chatLatencies, 99),
    serverUs: us(serverTotalCpu),
    postgresUs: us(postgresOurs + postgresShared),
    attributedUs: us(serverTotalCpu + generatorCpu + postgresOurs + postgresShared + redisCpu),
    machineUs: us(machineBusySeconds),
  };
}
