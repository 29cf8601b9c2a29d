// The composition root: the one place that picks real implementations and listens.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import 'dotenv/config';
import type { FastifyBaseLogger } from 'fastify';
import { buildApp } from './app.ts';
import { ConfigError, DEMO_WHATSAPP_FROM, defaultSenderOf, loadConfig, type TwilioConfig } from './config/env.ts';
import { connectPostgres, openPglite, type Database } from './db/database.ts';
import { conversationRepository, WHATSAPP_WINDOW_MS } from './db/conversation-repository.ts';
import { migrate } from './db/migrate.ts';
import { ensureFirstAdmin } from './auth/users.ts';
import { messagesFor } from './cli/messages.ts';
import { describeStartupError } from './cli/startup-errors.ts';
import { createTwilioGateway } from './twilio/gateway.ts';
import { startLocalTwilio, type LocalTwilio } from './twilio/local/server.ts';
import { connectRedisAdapter } from './realtime/redis-adapter.ts';

// Set once the app exists; until then, stderr.
let log: FastifyBaseLogger | null = null;
// A promise rejection nothing handled is a bug, but not one that should take every panel and
// callback of this instance down with it: it is logged with its stack and the server goes on.
process.on('unhandledRejection', (reason) => {
  if (log) log.error({ err: reason }, 'unhandled promise rejection (kept serving)');
  else console.error('unhandled promise rejection (kept serving):', reason);
});
// An exception nothing caught still ends the process, as Node does by default (its state is
// unknown); this only records it in the app's log first.
process.on('uncaughtExceptionMonitor', (err, origin) => {
  if (log) log.fatal({ err, origin }, 'uncaught exception: exiting');
});

/**
 * Fails with EADDRINUSE (or EACCES) at once when the port cannot be had, before anything is opened
 * or created: otherwise the database is migrated, the first admin created and its one-time password
 * printed, and only then does listen() fail.
 */
function claimablePort(port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

const messages = messagesFor(process.env);
let config: ReturnType<typeof loadConfig> | undefined;

async function main() {
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  await claimablePort(config.port, config.host);

  const db: Database = config.database.kind === 'postgres' ? connectPostgres(config.database.url) : await openPglite(config.database.dataDir);
  await migrate(db, { defaultSender: defaultSenderOf(config) });

  // Demo mode: no Twilio credentials, so a local Twilio runs in-process and plays Twilio's side.
  let local: LocalTwilio | null = null;
  let twilioConfig: TwilioConfig;
  if (config.twilio) {
    twilioConfig = config.twilio;
  } else {
    const accountSid = 'AC' + randomBytes(16).toString('hex');
    const authToken = randomBytes(16).toString('hex');
    const messagingServiceSid = 'MG' + randomBytes(16).toString('hex');
    const whatsappFrom = DEMO_WHATSAPP_FROM;
    local = await startLocalTwilio({
      accountSid, authToken, port: 0, messagingServiceSid, whatsappFrom,
      statusCallbackUrl: `${config.baseUrl}/api/whatsapp/status`,
      inboundUrl: `${config.baseUrl}/api/whatsapp/incoming`,
      lifecycle: { delayMs: 1500 },
      // It keeps nothing across restarts; who wrote in the last 24 hours comes from our database.
      customersWhoWrote: (await conversationRepository.customersWhoWroteSince(db, new Date(Date.now() - WHATSAPP_WINDOW_MS)))
        .map((c) => ({ address: `whatsapp:${c.phone}`, at: c.at })),
    });
    twilioConfig = { accountSid, authToken, whatsappFrom, messagingServiceSid: null, apiUrl: local.url };
  }

  // Not waited for: an instance starts and serves without Redis, and links up when it answers.
  const realtimeAdapter = config.redisUrl ? connectRedisAdapter(config.redisUrl) : undefined;
  const { app } = await buildApp({
    config, twilioConfig, db, twilio: createTwilioGateway(twilioConfig), demo: local,
    realtimeAdapter: realtimeAdapter?.adapter, realtimeRelay: realtimeAdapter?.relay, realtimeLink: realtimeAdapter?.link,
  });
  log = app.log;

  if (local) {
    app.log.warn(`DEMO MODE: no TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN set. A local Twilio runs at ${local.url}; nothing reaches WhatsApp.`);
  } else if (!config.baseUrl.startsWith('https://') && !['localhost', '127.0.0.1', '[::1]'].includes(new URL(config.baseUrl).hostname)) {
    app.log.warn(messages.startup.httpBaseUrl(config.baseUrl));
  }

  // After the port check, so a start that then fails prints no password nobody can use.
  const admin = await ensureFirstAdmin(db, config.admin);
  if (admin?.generatedPassword) {
    // Printed once, on the first start with an empty database; set ADMIN_PASSWORD to choose it, or
    // `wa-inbox users reset-password` if it is lost. The password stands on a line of its own.
    app.log.warn(`First admin created: ${admin.email} (its password is on the next line, shown only this once)`);
    app.log.warn(`admin password: ${admin.generatedPassword}`);
  } else if (admin) {
    app.log.info(`First admin created: ${admin.email}`);
  }

  const shutdown = async (signal: string) => {
    app.log.info(`${signal}: shutting down`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    const closing = (err: unknown) => app.log.error({ err }, 'error while closing');
    await app.close().catch(closing);
    await local?.close().catch(closing);
    await realtimeAdapter?.close().catch(closing);
    await db.close().catch(closing);
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  await app.listen({ port: config.port, host: config.host });
  app.log.info(`wa-inbox listening on ${config.baseUrl} (database: ${config.database.kind})`);
}

main().catch((err) => {
  // One line an operator can act on; the stack only when asked for.
  const where = { databaseUrl: config?.database.kind === 'postgres' ? config.database.url : null, port: config?.port ?? 0, host: config?.host ?? '' };
  console.error(describeStartupError(err, where, messages));
  if (['debug', 'trace'].includes(config?.logLevel ?? process.env.LOG_LEVEL ?? '')) console.error(err);
  process.exit(1);
});
