// The server killed with SIGKILL (a crash, the OOM killer, a pulled plug) while background fetches
// of outside messages' texts are claimed and in flight: after a restart every one is done, once.
// The real server runs as a child process on a real database; the local Twilio runs here.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import twilio from 'twilio';
import { openPglite, type Database } from '../src/db/database.ts';
import type { MessageDto } from '../src/contract/api.ts';
import { startLocalTwilio, type LocalTwilio } from '../src/twilio/local/server.ts';
import { startChildServer, type ChildServer } from './support/child-server.ts';
import { databaseKinds, openTestDatabase } from './support/databases.ts';
import { ADMIN, freePort, hex, OUR_NUMBER, statusParams, waitFor } from './support/inbox.ts';

const MESSAGES = 300;
const CUSTOMERS = 30;
// Long enough that a batch of fetches is surely still held when the kill comes; shorter than the
// request timeout, so no fetch fails for it.
const FETCH_DELAY_MS = 4_000;
// The fetcher's lease (src/messages/message-fetcher.ts, 60 s): jobs claimed by the killed process
// are taken again only when it expires, so the recovery takes about a minute.
const RECOVERY_TIMEOUT_MS = 240_000;

/** Runs `work` `concurrency` at a time. */
async function inParallel<T, R>(items: T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  }));
  return results;
}

interface Sent { sid: string; to: string; body: string }

for (const kind of databaseKinds()) {
  describe(`kill -9 during background fetches (${kind})`, () => {
    const accountSid = 'AC' + hex(16);
    const authToken = hex(16);
    let local: LocalTwilio;
    let port: number;
    let baseUrl: string;
    let databaseUrl: string | null = null;
    let closePostgres: (() => Promise<void>) | null = null;
    let postgres: Database | null = null;
    let dataDir: string | null = null;
    const children: ChildServer[] = [];

    before(async () => {
      port = await freePort();
      baseUrl = `http://127.0.0.1:${port}`;
      // No callback URL: the test posts the status callbacks itself, signed, so it knows each was
      // answered 204 before the kill. `sent` is what GET .../Messages/{Sid}.json will report.
      local = await startLocalTwilio({ accountSid, authToken, whatsappFrom: OUR_NUMBER, enforceWindow: false, lifecycle: { statuses: ['sent'], delayMs: 10 } });
      if (kind === 'postgres') {
        const database = await openTestDatabase('postgres', { poolSize: 2 });
        databaseUrl = database.url;
        postgres = database.db;
        closePostgres = database.close;
      } else {
        dataDir = mkdtempSync(join(tmpdir(), 'wa-pglite-kill-'));
      }
    });

    after(async () => {
      for (const child of children) await child.kill('SIGKILL');
      await local?.close();
      await closePostgres?.();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    const startServer = async () => {
      const child = await startChildServer({
        PORT: String(port), HOST: '127.0.0.1', BASE_URL: baseUrl,
        ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { DATA_DIR: dataDir! }),
        TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken, TWILIO_WHATSAPP_FROM: OUR_NUMBER, TWILIO_API_URL: local.url,
        ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, SESSION_SECRET: 'a-test-secret-of-enough-length',
        // The single fetch's jobs are what this kill interrupts: with several hundred texts waiting,
        // the list fill would take them from Twilio's message list instead (list-fill.test.ts).
        RECONCILE_INTERVAL: '0', LOG_LEVEL: 'info', FETCH_LIST_FILL: '0',
      });
      children.push(child);
      return child;
    };

    /**
     * Runs `query` on the database. PostgreSQL is read at any time; PGlite is one process's
     * files, so it is opened here only while no server runs (which also shows it reopens).
     */
    async function inspect<T>(query: (db: Database) => Promise<T>): Promise<T> {
      if (postgres) return query(postgres);
      assert.ok(children.every((c) => !c.running()), 'PGlite is read only while no server has it open');
      const db = await openPglite(dataDir);
      try {
        return await query(db);
      } finally {
        await db.close();
      }
    }

    const postCallback = (sid: string, to: string, status: string) => {
      const params = statusParams(sid, status, { to, accountSid });
      const url = `${baseUrl}/api/whatsapp/status`;
      return fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(authToken, url, params) },
        body: new URLSearchParams(params).toString(),
      }).then((r) => r.status, (err: Error) => `error: ${err.message}`);
    };

    test('jobs claimed when the process is killed are done after the restart: every text, one row per SID, no job left', { timeout: 420_000 }, async (t) => {
      let first = await startServer();
      try {
        // Several hundred messages sent from outside (the Wix site): they exist at Twilio.
        const sent: Sent[] = [];
        for (let i = 0; i < MESSAGES; i++) {
          const to = `whatsapp:+5731900${String(i % CUSTOMERS).padStart(5, '0')}`;
          const body = `Recordatorio ${i}: su cita es el día ${1 + (i % 28)} a las ${7 + (i % 10)}:00 ✅`;
          sent.push({ sid: (await local.simulateExternalSend({ to, body })).sid, to, body });
        }
        const bySid = new Map(sent.map((s) => [s.sid, s]));

        // Twilio is slow to answer fetches of a message, so batches of them stay in flight.
        local.injectFault({ delayMs: FETCH_DELAY_MS, pathContains: '/Messages/' });
        const answers = await inParallel(sent, 25, (s) => postCallback(s.sid, s.to, 'sent'));
        assert.deepEqual(answers.filter((a) => a !== 204), [], 'every callback was answered 204 (written) before the kill');
        await waitFor(() => local.faultStats().held >= 8, 'a batch of fetches held by the slow Twilio', 60_000);

        const killed = await first.kill('SIGKILL');
        assert.equal(killed.signal, 'SIGKILL');

        // What the killed process left: every message recorded once, texts missing, jobs claimed
        // (leased, attempted) and not finished.
        const left = await inspect(async (db) => {
          const rows = await db.query<{ sid: string; body_pending: boolean }>('SELECT sid, body_pending FROM messages WHERE sid = ANY($1)', [sent.map((s) => s.sid)]);
          const jobs = await db.query<{ claimed: number; total: number }>(
            'SELECT count(*) FILTER (WHERE locked_until > now() AND attempts >= 1)::int AS claimed, count(*)::int AS total FROM jobs',
          );
          return { rows: rows.rows, jobs: jobs.rows[0]! };
        });
        t.diagnostic(`at the kill: ${left.jobs.claimed} jobs claimed, ${left.jobs.total} left, ${left.rows.filter((r) => r.body_pending).length} texts missing`);
        assert.equal(left.rows.length, MESSAGES, 'every callback written before the kill is in the database');
        assert.ok(left.jobs.claimed >= 1, `jobs were claimed and unfinished at the kill (${JSON.stringify(left.jobs)})`);
        assert.ok(left.rows.filter((r) => r.body_pending).length >= left.jobs.claimed, 'their messages still wait for their text');

        local.injectFault(null);
        first = await startServer();

        // Twilio keeps calling back meanwhile (later statuses), while the jobs resume.
        const later = await inParallel(sent, 25, (s) => postCallback(s.sid, s.to, 'delivered'));
        assert.deepEqual(later.filter((a) => a !== 204), [], 'callbacks after the restart are answered 204');

        // The panel's view: every message with its text, none pending. The claimed jobs wait for
        // their lease to expire, so this takes about a minute.
        const login = await fetch(`${baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: ADMIN.email, password: ADMIN.password }) });
        assert.equal(login.status, 200, 'logged in to the restarted server');
        const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
        await waitFor(async () => {
          const res = await fetch(`${baseUrl}/api/changes?after=0`, { headers: { cookie } });
          const { messages } = (await res.json()) as { messages: MessageDto[] };
          const done = messages.filter((m) => m.sid && bySid.has(m.sid) && !m.bodyPending && m.body === bySid.get(m.sid)!.body);
          return done.length === MESSAGES;
        }, 'every text fetched after the restart', RECOVERY_TIMEOUT_MS);

        const stopped = await first.stop();
        assert.equal(stopped.code, 0, 'the restarted server shut down cleanly');

        const final = await inspect(async (db) => ({
          rows: (await db.query<{ sid: string; n: number; body: string; pending: boolean; status: string }>(
            `SELECT sid, count(*)::int AS n, min(body) AS body, bool_or(body_pending) AS pending, min(status) AS status
             FROM messages WHERE sid = ANY($1) GROUP BY sid`, [sent.map((s) => s.sid)],
          )).rows,
          jobs: (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs')).rows[0]!.n,
          total: (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM messages')).rows[0]!.n,
        }));
        assert.equal(final.rows.length, MESSAGES, 'every SID has its row');
        assert.deepEqual(final.rows.filter((r) => r.n !== 1), [], 'exactly one row per SID');
        assert.equal(final.total, MESSAGES, 'no other row appeared');
        assert.deepEqual(final.rows.filter((r) => r.body !== bySid.get(r.sid)!.body || r.pending), [], 'every message has its own text');
        assert.deepEqual(final.rows.filter((r) => r.status !== 'delivered'), [], 'the status never went back (Twilio reports sent, a callback said delivered)');
        assert.equal(final.jobs, 0, 'no job left');
      } catch (err) {
        for (const [i, child] of children.entries()) console.error(`--- server #${i + 1} (pid ${child.pid}) output ---\n${child.output()}`);
        throw err;
      }
    });
  });
}
