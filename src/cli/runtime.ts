import 'dotenv/config';
import pino from 'pino';
import { defaultSenderOf, loadConfig, type Config } from '../config/env.ts';
import { connectPostgres, openPglite, type Database } from '../db/database.ts';
import { loadSenders } from '../messages/senders.ts';
import { migrate } from '../db/migrate.ts';
import type { InboxContext } from '../messages/context.ts';
import { NO_PANELS } from '../messages/conversation-feed.ts';
import { InboxEvents } from '../messages/inbox-events.ts';
import { createSettingsStore } from '../messages/settings-store.ts';
import { createTwilioGateway, type TwilioGateway } from '../twilio/gateway.ts';

/** The command needs Twilio's credentials and the environment has none (demo mode). */
export class NeedsTwilioError extends Error {
  constructor() {
    super('TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set: this command talks to Twilio');
    this.name = 'NeedsTwilioError';
  }
}

export const openDatabase = async (config: Config): Promise<Database> =>
  config.database.kind === 'postgres' ? connectPostgres(config.database.url, { max: 4 }) : openPglite(config.database.dataDir);

/** What a CLI command works with: the same configuration, database and domain as the server. */
export async function openRuntime(o: { needTwilio: boolean; env?: NodeJS.ProcessEnv }): Promise<{ config: Config; db: Database; twilio: TwilioGateway | null; ctx: InboxContext | null; close(): Promise<void> }> {
  const config = loadConfig(o.env);
  if (o.needTwilio && !config.twilio) throw new NeedsTwilioError();
  const db = await openDatabase(config);
  try {
    await migrate(db, { defaultSender: defaultSenderOf(config) });
  } catch (err) {
    await db.close().catch(() => {}); // releases a PGlite folder's lock
    throw err;
  }
  const twilio = config.twilio ? createTwilioGateway(config.twilio) : null;
  const log = pino({ level: config.logLevel === 'info' ? 'warn' : config.logLevel });
  const ctx: InboxContext | null = twilio
    ? {
        db, twilio, events: new InboxEvents(), conversations: NO_PANELS, settings: createSettingsStore(db), baseUrl: config.baseUrl, log, wakeWorker: () => {},
        senders: await loadSenders({ db, twilio, log }, config.twilio!),
      }
    : null;
  return { config, db, twilio, ctx, close: () => db.close() };
}
