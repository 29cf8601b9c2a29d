import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/database.ts';
import type { TwilioGateway } from '../twilio/gateway.ts';
import type { ConversationFeed } from './conversation-feed.ts';
import type { InboxEvents } from './inbox-events.ts';
import type { SenderDirectory } from './senders.ts';
import type { SettingsStore } from './settings-store.ts';

/** What the domain needs from the outside, chosen once by the composition root. */
export interface InboxContext {
  db: Database;
  twilio: TwilioGateway;
  events: InboxEvents;
  /** Coalesced conversation-list updates for every panel. */
  conversations: ConversationFeed;
  settings: SettingsStore;
  /** Our WhatsApp numbers: which messages are ours, and how a reply goes out from each. */
  senders: SenderDirectory;
  /** Public origin Twilio reaches us at: callback URLs are built from it. */
  baseUrl: string;
  log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error' | 'debug'>;
  /** Called when background work was queued, so the worker starts now rather than at its next poll. */
  wakeWorker: () => void;
}
