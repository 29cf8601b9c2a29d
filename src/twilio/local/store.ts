import { randomBytes } from 'node:crypto';
import { CLINIC_TEMPLATES } from './clinic-templates.ts';

// What a real Twilio account holds, in memory: messages, Content API templates, a Messaging
// Service and a WhatsApp sender. Routes and the lifecycle read and change it; nothing else.

export interface LocalMedia {
  sid: string;
  contentType: string;
  /** What GET .../Media/{ME} answers. */
  bytes: Buffer;
  /** A media item of a message we were asked to send: the MediaUrl it was downloaded from. */
  sourceUrl?: string;
}

export interface LocalMessage {
  sid: string;
  accountSid: string;
  direction: 'outbound-api' | 'inbound';
  /** null while a message sent through a Messaging Service waits for a sender (status accepted). */
  from: string | null;
  to: string;
  body: string;
  status: string;
  numMedia: number;
  media: LocalMedia[];
  errorCode: number | null;
  errorMessage: string | null;
  messagingServiceSid: string | null;
  contentSid: string | null;
  /** The StatusCallback given at creation (null: the service's or sender's configured URL applies). */
  statusCallback: string | null;
  dateCreated: Date;
  dateSent: Date | null;
  dateUpdated: Date;
}

export interface LocalTemplate {
  sid: string;
  friendlyName: string;
  language: string;
  /** twilio/text body with {{1}}-style placeholders (a rich template's text, as a send renders it). */
  body: string;
  /** A rich template's Content types (`{ "twilio/card": { ... } }`); unset: twilio/text with `body`. */
  types?: Record<string, Record<string, unknown>>;
  /** The Content API's default values, used for placeholders a send leaves out. */
  variables: Record<string, string>;
  approval: 'approved' | 'pending' | 'rejected' | 'unsubmitted';
  category: 'UTILITY' | 'MARKETING' | 'AUTHENTICATION' | string;
  dateCreated?: Date;
}

export interface LocalService {
  sid: string;
  friendlyName: string;
  statusCallback: string | null;
  inboundRequestUrl: string | null;
  dateCreated: Date;
  dateUpdated: Date;
}

export interface LocalSender {
  sid: string;
  /** whatsapp:+57... */
  senderId: string;
  callbackUrl: string | null;
  callbackMethod: string;
  fallbackUrl: string | null;
  statusCallbackUrl: string | null;
  statusCallbackMethod: string;
}

/** Twilio SIDs: two letters and 32 lowercase hex digits. */
export const newSid = (prefix: string) => prefix + randomBytes(16).toString('hex');

export class LocalStore {
  readonly messages = new Map<string, LocalMessage>();
  /** Creation order, oldest first; the list API walks it backwards (Twilio lists newest first). */
  readonly order: LocalMessage[] = [];
  readonly templates = new Map<string, LocalTemplate>();
  readonly services = new Map<string, LocalService>();
  readonly senders = new Map<string, LocalSender>();
  /** When each customer (whatsapp:+57...) last wrote to us: WhatsApp's 24-hour window. */
  readonly lastInbound = new Map<string, Date>();

  constructor(readonly accountSid: string) {
    for (const t of CLINIC_TEMPLATES) this.addTemplate(t);
  }

  addTemplate(t: Omit<LocalTemplate, 'sid'> & { sid?: string }): LocalTemplate {
    const template: LocalTemplate = { ...t, sid: t.sid ?? newSid('HX'), dateCreated: t.dateCreated ?? new Date() };
    this.templates.set(template.sid, template);
    return template;
  }

  addMessage(m: LocalMessage): LocalMessage {
    this.messages.set(m.sid, m);
    this.order.push(m);
    return m;
  }

  /** As Twilio's DELETE of a message: GET answers 404 from then on and lists skip it. */
  removeMessage(sid: string): boolean {
    const m = this.messages.get(sid);
    if (!m) return false;
    this.messages.delete(sid);
    this.order.splice(this.order.indexOf(m), 1);
    return true;
  }
}
