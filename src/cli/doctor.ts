import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, configuredNumbers, loadConfig, type Config } from '../config/env.ts';
import { lockHolder } from '../db/data-dir-lock.ts';
import type { Database } from '../db/database.ts';
import { checkpointRepository } from '../db/settings-repository.ts';
import { LAST_CALLBACK_CHECKPOINT } from '../messages/callback-heartbeat.ts';
import { LAST_PASS_CHECKPOINT, type LastReconcilePass } from '../messages/reconciler.ts';
import { createTwilioGateway, TwilioRequestError } from '../twilio/gateway.ts';
import { LAST_EVENT_CHECKPOINT, type LastEvent } from '../messages/event-streams.ts';
import { eventSinkUrl, shownSinkUrl, webhookUrls } from './configure.ts';
import { explainPostgresError, twilioFailure } from './doctor-causes.ts';
import { messagesFor, type Messages } from './messages.ts';
import { openDatabase } from './runtime.ts';

/** ok and info pass; only fail makes doctor exit 1. Info says something worth knowing that is not wrong. */
export type CheckStatus = 'ok' | 'info' | 'fail';

export interface Check {
  status: CheckStatus;
  name: string;
  detail: string;
  /** What to do about a failed check, in words. */
  fix?: string;
}

const MIGRATIONS = fileURLToPath(new URL('../db/migrations/', import.meta.url));

type Doctor = Messages['doctor'];
type Fetch = typeof fetch;

/** Each check the operator would do by hand, in order; later checks are skipped when what they need failed. */
export async function runDoctor(env: NodeJS.ProcessEnv = process.env, o: { fetchImpl?: Fetch } = {}): Promise<Check[]> {
  const m = messagesFor(env).doctor;
  const fetchImpl = o.fetchImpl ?? fetch;
  const checks: Check[] = [];
  let config: Config;
  try {
    config = loadConfig(env);
    checks.push({ status: 'ok', name: m.name.variables, detail: m.variablesOk });
  } catch (err) {
    const detail = err instanceof ConfigError ? err.problems.join('; ') : (err as Error).message;
    checks.push({ status: 'fail', name: m.name.variables, detail, fix: m.variablesFix });
    return checks;
  }
  // Demo mode: the server plays Twilio itself, so what only the real Twilio needs is no failure.
  const demo = !config.twilio;
  checks.push(config.twilio
    ? { status: 'ok', name: m.name.twilioVariables, detail: m.account(config.twilio.accountSid) }
    : { status: 'info', name: m.name.twilioVariables, detail: m.demo });

  checks.push(...(await databaseChecks(config, demo, m, fetchImpl)));

  const urls = webhookUrls(config.baseUrl);
  if (config.baseUrl.startsWith('https://')) checks.push({ status: 'ok', name: m.name.https, detail: config.baseUrl });
  else if (demo) checks.push({ status: 'info', name: m.name.https, detail: m.httpsDemo(config.baseUrl) });
  else checks.push({ status: 'fail', name: m.name.https, detail: m.notHttps(config.baseUrl), fix: m.httpsFix });

  try {
    const res = await fetchImpl(urls.statusCallback, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(10_000) });
    checks.push(res.status === 405
      ? { status: 'ok', name: m.name.publicUrl, detail: m.routeOk(urls.statusCallback) }
      : { status: 'fail', name: m.name.publicUrl, detail: m.routeStatus(urls.statusCallback, res.status), fix: res.status === 404 ? m.routeFix404 : m.routeFix });
  } catch (err) {
    checks.push(demo
      ? { status: 'info', name: m.name.publicUrl, detail: m.routeDemo(config.baseUrl) }
      : { status: 'fail', name: m.name.publicUrl, detail: m.routeFailed(urls.statusCallback, reasonOf(err)), fix: m.routeFailedFix });
  }

  if (config.twilio) checks.push(...(await twilioChecks(config, m)));
  return checks;
}

/** fetch's TypeError says only "fetch failed"; the socket's reason is its cause. */
function reasonOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ? `${cause.code}${cause.message && !cause.message.includes(cause.code) ? `: ${cause.message}` : ''}` : (err as Error).message;
}

async function databaseChecks(config: Config, demo: boolean, m: Doctor, fetchImpl: Fetch): Promise<Check[]> {
  // A PGlite folder held by the running server is not opened: doctor asks the server instead.
  if (config.database.kind === 'pglite') {
    const holder = lockHolder(config.database.dataDir);
    if (holder) return [{ status: 'info', name: m.name.database, detail: m.inUse(holder.pid) }, await askServer(config, m, fetchImpl)];
  }
  let db: Database | null = null;
  try {
    db = await openDatabase(config);
    await db.query('SELECT 1');
  } catch (err) {
    await db?.close().catch(() => {});
    const { detail, fix } = config.database.kind === 'postgres'
      ? explainPostgresError(err, config.database.url, m)
      : { detail: m.pgliteFailed(config.database.dataDir, (err as Error).message), fix: m.pgliteFix };
    return [{ status: 'fail', name: m.name.database, detail, fix }];
  }
  return migrationChecks(db, config, demo, m);
}

async function migrationChecks(db: Database, config: Config, demo: boolean, m: Doctor): Promise<Check[]> {
  try {
    const checks: Check[] = [];
    const { rows } = await db.query<{ version: string }>('SELECT version FROM schema_migrations').catch(() => ({ rows: [] as { version: string }[] }));
    const applied = new Set(rows.map((r) => r.version));
    const missing = readdirSync(MIGRATIONS).filter((f) => f.endsWith('.sql') && !applied.has(f));
    checks.push(missing.length
      ? { status: 'fail', name: m.name.database, detail: m.notMigrated(missing.length), fix: m.migrateFix }
      : { status: 'ok', name: m.name.database, detail: m.migrated(config.database.kind) });
    if (missing.length) return checks;
    const last = await checkpointRepository.get(db, LAST_CALLBACK_CHECKPOINT);
    if (last) checks.push({ status: 'ok', name: m.name.lastCallback, detail: m.lastCallback(last.updatedAt.toISOString()) });
    else if (demo) checks.push({ status: 'info', name: m.name.lastCallback, detail: m.noCallbackDemo });
    else checks.push({ status: 'fail', name: m.name.lastCallback, detail: m.noCallback, fix: m.noCallbackFix });
    checks.push(await lastReconcileCheck(db, m));
    checks.push(await lastEventCheck(db, m));
    return checks;
  } finally {
    await db.close();
  }
}

/** What the last reconciliation pass (of any instance) did, re-checks of older messages included. */
async function lastReconcileCheck(db: Database, m: Doctor): Promise<Check> {
  const saved = await checkpointRepository.get(db, LAST_PASS_CHECKPOINT);
  if (!saved) return { status: 'info', name: m.name.lastReconcile, detail: m.noReconcile };
  try {
    const pass = JSON.parse(saved.value) as LastReconcilePass;
    return { status: 'ok', name: m.name.lastReconcile, detail: m.lastReconcile(pass.at, pass.seen, pass.recheck) };
  } catch {
    return { status: 'info', name: m.name.lastReconcile, detail: m.noReconcile };
  }
}

/** When Event Streams last reached us, and with what (information: the sink is optional). */
async function lastEventCheck(db: Database, m: Doctor): Promise<Check> {
  const saved = await checkpointRepository.get(db, LAST_EVENT_CHECKPOINT);
  try {
    const last = saved ? (JSON.parse(saved.value) as LastEvent) : null;
    if (last) return { status: 'ok', name: m.name.lastEvent, detail: m.lastEvent(last.at, last.type) };
  } catch {
    // shown as none
  }
  return { status: 'info', name: m.name.lastEvent, detail: m.noEvent };
}

/** The Event Streams sink that points at us, if any, and its status. */
async function eventSinkCheck(config: Config, twilio: ReturnType<typeof createTwilioGateway>, m: Doctor): Promise<Check> {
  const ours = eventSinkUrl(config);
  const bare = `${config.baseUrl}${new URL(ours).pathname}`;
  try {
    const sink = (await twilio.listEventSinks()).find((s) => s.sinkType === 'webhook' && (s.destination === ours || s.destination === bare));
    if (!sink) return { status: 'info', name: m.name.eventSink, detail: `${m.noSink}; ${m.noSinkHint}` };
    const shown = shownSinkUrl(sink.destination)!;
    if (sink.status === 'active') return { status: 'ok', name: m.name.eventSink, detail: m.sinkOk(sink.sid, sink.status, shown) };
    // initialized/validating are on their way; failed means Twilio gave up delivering to us.
    return { status: sink.status === 'failed' ? 'fail' : 'info', name: m.name.eventSink, detail: m.sinkNotActive(sink.sid, sink.status, shown), fix: m.sinkNotActiveFix };
  } catch (err) {
    return { status: 'info', name: m.name.eventSink, detail: m.sinksUnknown((err as Error).message) };
  }
}

/** The server's own /api/health, on this machine first (the lock says it runs here), then at BASE_URL. */
async function askServer(config: Config, m: Doctor, fetchImpl: Fetch): Promise<Check> {
  const origins = [...new Set([`http://127.0.0.1:${config.port}`, config.baseUrl])];
  for (const origin of origins) {
    let status: number;
    try {
      status = (await fetchImpl(`${origin}/api/health`, { signal: AbortSignal.timeout(3_000) })).status;
    } catch {
      continue;
    }
    if (status === 200) return { status: 'ok', name: m.name.server, detail: m.healthOk(origin) };
    if (status === 503) return { status: 'fail', name: m.name.server, detail: m.healthFailed(origin, status), fix: m.healthFailedFix };
  }
  return { status: 'info', name: m.name.server, detail: m.healthUnknown(origins.join(', ')) };
}

async function twilioChecks(config: Config, m: Doctor): Promise<Check[]> {
  const twilio = createTwilioGateway(config.twilio!);
  const urls = webhookUrls(config.baseUrl);
  const checks: Check[] = [];
  const host = config.twilio!.apiUrl ? new URL(config.twilio!.apiUrl).host : 'api.twilio.com';
  const failed = (err: unknown, otherFix: string): Check => {
    const reason = (err as Error).message;
    switch (twilioFailure(err)) {
      case 'network':
        return { status: 'fail', name: m.name.twilioConnection, detail: m.network(reason), fix: m.networkFix(host) };
      case 'credentials':
        return { status: 'fail', name: m.name.twilioCredentials, detail: m.credentialsRefused(reason), fix: m.credentialsFix };
      default:
        return { status: 'fail', name: m.name.twilioCredentials, detail: err instanceof TwilioRequestError && err.status ? m.twilioAnswered(err.status, reason) : reason, fix: otherFix };
    }
  };
  try {
    for await (const _ of twilio.listMessages({ since: new Date(Date.now() - 86400_000), pageSize: 1 })) break;
    checks.push({ status: 'ok', name: m.name.twilioCredentials, detail: m.credentialsOk });
  } catch (err) {
    return [failed(err, m.twilioAnsweredFix)];
  }
  if (config.twilio!.messagingServiceSid) {
    try {
      const s = await twilio.fetchService(config.twilio!.messagingServiceSid);
      checks.push(s.statusCallback === urls.statusCallback
        ? { status: 'ok', name: m.name.serviceCallback, detail: m.callbackPointsAt(s.sid, s.statusCallback) }
        : { status: 'fail', name: m.name.serviceCallback, detail: m.callbackPointsAt(s.sid, s.statusCallback), fix: m.configureFix });
    } catch (err) {
      const check = failed(err, err instanceof TwilioRequestError && err.status === 404 ? m.serviceMissingFix : m.twilioAnsweredFix);
      checks.push(check.name === m.name.twilioCredentials ? { ...check, name: m.name.serviceCallback } : check);
    }
  }
  const senders = await twilio.listWhatsAppSenders().catch(() => []);
  const ours = configuredNumbers(config.twilio);
  for (const sender of senders.filter((x) => !ours.length || ours.includes(x.senderId))) {
    checks.push(sender.statusCallbackUrl === urls.statusCallback
      ? { status: 'ok', name: m.name.senderCallback, detail: m.callbackPointsAt(sender.senderId, sender.statusCallbackUrl) }
      : { status: 'fail', name: m.name.senderCallback, detail: m.callbackPointsAt(sender.senderId, sender.statusCallbackUrl), fix: m.configureFix });
  }
  checks.push(await eventSinkCheck(config, twilio, m));
  return checks;
}
