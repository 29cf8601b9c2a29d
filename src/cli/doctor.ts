import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig, type Config } from '../config/env.ts';
import { checkpointRepository } from '../db/settings-repository.ts';
import { LAST_CALLBACK_CHECKPOINT } from '../messages/callback-heartbeat.ts';
import { createTwilioGateway } from '../twilio/gateway.ts';
import { webhookUrls } from './configure.ts';
import { openDatabase } from './runtime.ts';

export interface Check {
  ok: boolean;
  name: string;
  detail: string;
  /** What to do about a failed check, in words. */
  fix?: string;
}

const MIGRATIONS = fileURLToPath(new URL('../db/migrations/', import.meta.url));

/** Each check the operator would do by hand, in order; later checks are skipped when what they need failed. */
export async function runDoctor(env: NodeJS.ProcessEnv = process.env, o: { fetchImpl?: typeof fetch } = {}): Promise<Check[]> {
  const checks: Check[] = [];
  let config: Config;
  try {
    config = loadConfig(env);
    checks.push({ ok: true, name: 'variables', detail: 'all present variables are well-formed' });
  } catch (err) {
    checks.push({ ok: false, name: 'variables', detail: (err as Error).message, fix: 'correct the variables named above (see .env.example)' });
    return checks;
  }
  checks.push(config.twilio
    ? { ok: true, name: 'twilio variables', detail: `account ${config.twilio.accountSid}` }
    : { ok: false, name: 'twilio variables', detail: 'TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN not set: demo mode', fix: 'set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_WHATSAPP_FROM (or TWILIO_MESSAGING_SERVICE_SID)' });

  try {
    const db = await openDatabase(config);
    try {
      const { rows } = await db.query<{ version: string }>('SELECT version FROM schema_migrations');
      const applied = new Set(rows.map((r) => r.version));
      const missing = readdirSync(MIGRATIONS).filter((f) => f.endsWith('.sql') && !applied.has(f));
      checks.push(missing.length
        ? { ok: false, name: 'database', detail: `reachable, ${missing.length} migration(s) not applied`, fix: 'start the server once (it applies migrations at start)' }
        : { ok: true, name: 'database', detail: `${config.database.kind} reachable and migrated` });
      const last = await checkpointRepository.get(db, LAST_CALLBACK_CHECKPOINT);
      checks.push(last
        ? { ok: true, name: 'last callback', detail: `a status callback was received ${last.updatedAt.toISOString()}` }
        : { ok: false, name: 'last callback', detail: 'no status callback received yet', fix: 'send a message and check that Twilio reaches BASE_URL (see the checks above)' });
    } finally {
      await db.close();
    }
  } catch (err) {
    checks.push({ ok: false, name: 'database', detail: `unreachable: ${(err as Error).message}`, fix: 'check DATABASE_URL and that PostgreSQL runs (without DATABASE_URL, PGlite uses DATA_DIR)' });
  }

  const urls = webhookUrls(config.baseUrl);
  if (!config.baseUrl.startsWith('https://')) {
    checks.push({ ok: false, name: 'BASE_URL https', detail: `${config.baseUrl} is not https`, fix: 'put the server behind https (a reverse proxy) and set BASE_URL to that public https URL' });
  } else {
    checks.push({ ok: true, name: 'BASE_URL https', detail: config.baseUrl });
  }
  try {
    const res = await (o.fetchImpl ?? fetch)(urls.statusCallback, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(10_000) });
    checks.push(res.status === 405
      ? { ok: true, name: 'public URL', detail: `GET ${urls.statusCallback} answers 405: the route is reachable` }
      : { ok: false, name: 'public URL', detail: `GET ${urls.statusCallback} answered ${res.status}, expected 405`, fix: res.status === 404 ? 'BASE_URL reaches another server or path: check the proxy and BASE_URL' : 'check the proxy in front of wa-inbox' });
  } catch (err) {
    checks.push({ ok: false, name: 'public URL', detail: `GET ${urls.statusCallback} failed: ${(err as Error).message}`, fix: 'make BASE_URL reachable from the internet (DNS, firewall, proxy)' });
  }

  if (config.twilio) {
    const twilio = createTwilioGateway(config.twilio);
    try {
      for await (const _ of twilio.listMessages({ since: new Date(Date.now() - 86400_000), pageSize: 1 })) break;
      checks.push({ ok: true, name: 'twilio credentials', detail: 'Twilio accepted the credentials' });
      if (config.twilio.messagingServiceSid) {
        const s = await twilio.fetchService(config.twilio.messagingServiceSid);
        checks.push(s.statusCallback === urls.statusCallback
          ? { ok: true, name: 'service status callback', detail: `${s.sid} → ${s.statusCallback}` }
          : { ok: false, name: 'service status callback', detail: `${s.sid} → ${s.statusCallback ?? '(none)'}`, fix: 'run `wa-inbox configure`' });
      }
      const senders = await twilio.listWhatsAppSenders().catch(() => []);
      for (const sender of senders.filter((x) => !config.twilio!.whatsappFrom || x.senderId === config.twilio!.whatsappFrom)) {
        checks.push(sender.statusCallbackUrl === urls.statusCallback
          ? { ok: true, name: 'sender status callback', detail: `${sender.senderId} → ${sender.statusCallbackUrl}` }
          : { ok: false, name: 'sender status callback', detail: `${sender.senderId} → ${sender.statusCallbackUrl ?? '(none)'}`, fix: 'run `wa-inbox configure`' });
      }
    } catch (err) {
      checks.push({ ok: false, name: 'twilio credentials', detail: (err as Error).message, fix: 'check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN in the Twilio console' });
    }
  }
  return checks;
}
