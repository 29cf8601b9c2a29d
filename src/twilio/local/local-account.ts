import type { WebhookSender } from './callbacks.ts';
import { messageEvent, type LocalEventStreams } from './event-streams.ts';
import { playLifecycle, withLifecycleDefaults, type LifecycleOptions } from './lifecycle.ts';
import { parseOutboundRequest, renderTemplate } from './outbound-request.ts';
import { downloadMedia } from './media-download.ts';
import { bytesFromUrl, contentTypeOfUrl } from './sample-media.ts';
import type { Scheduler } from './scheduler.ts';
import { newSid, type LocalMedia, type LocalMessage, type LocalSender, type LocalService, type LocalStore } from './store.ts';
import { badRequest } from './twilio-errors.ts';
import { inboundParams, statusCallbackParams, type InboundExtras } from './webhook-payloads.ts';
import { isWhatsappAddress } from '../../messages/addresses.ts';

// The rules of one Twilio account with its WhatsApp senders in one Messaging Service: sending,
// receiving, WhatsApp's 24-hour window, and where webhooks go. Routes and the control API call
// this; it changes the store and schedules webhooks.

const WINDOW_MS = 24 * 3600_000;

export interface InboundInput extends InboundExtras {
  from: string;
  /** Which of our numbers the customer writes to (default: the first). */
  to?: string;
  body?: string;
  /** `url` may be a data: URL (its bytes are served); otherwise a small sample file is. */
  media?: { url?: string; contentType: string }[];
}

export interface ExternalSendInput {
  to: string;
  body?: string;
  contentSid?: string;
  contentVariables?: Record<string, string>;
  viaService?: boolean;
  /** Which of our numbers it goes from (default: the first; through the service: the service picks, unless given). */
  from?: string;
  statusCallback?: string;
}

export interface AccountSetup {
  accountSid: string;
  serviceSid: string;
  whatsappFrom: string;
  /** More WhatsApp numbers of the account, all in the service's sender pool. */
  moreSenders: string[];
  statusCallbackUrl: string | null;
  inboundUrl: string | null;
  lifecycle: LifecycleOptions | undefined;
  enforceWindow: boolean;
}

export class LocalAccount {
  readonly accountSid: string;
  readonly service: LocalService;
  /** The first WhatsApp sender (whatsappFrom's). */
  readonly sender: LocalSender;
  readonly whatsappFrom: string;
  /** Every WhatsApp sender of the account, the first one first. */
  readonly senders: LocalSender[];
  enforceWindow: boolean;
  private lifecycle: ReturnType<typeof withLifecycleDefaults>;
  /** Origin media URLs point at; known once the server listens. */
  publicUrl = '';

  constructor(
    private readonly store: LocalStore, private readonly scheduler: Scheduler, private readonly webhooks: WebhookSender,
    private readonly eventStreams: LocalEventStreams, setup: AccountSetup,
  ) {
    this.accountSid = setup.accountSid;
    this.whatsappFrom = setup.whatsappFrom;
    this.enforceWindow = setup.enforceWindow;
    this.lifecycle = withLifecycleDefaults(setup.lifecycle);
    const now = new Date();
    this.service = { sid: setup.serviceSid, friendlyName: 'Clínica de Salud Ocupacional', statusCallback: null, inboundRequestUrl: null, dateCreated: now, dateUpdated: now };
    const addresses = [...new Set([setup.whatsappFrom, ...setup.moreSenders])];
    this.senders = addresses.map((senderId) => ({ sid: newSid('XE'), senderId, callbackUrl: null, callbackMethod: 'POST', fallbackUrl: null, statusCallbackUrl: null, statusCallbackMethod: 'POST' }));
    this.sender = this.senders[0]!;
    store.services.set(this.service.sid, this.service);
    for (const x of this.senders) store.senders.set(x.sid, x);
    this.setWebhooks({ statusCallbackUrl: setup.statusCallbackUrl ?? undefined, inboundUrl: setup.inboundUrl ?? undefined });
  }

  /** What someone would set in the console: the service's and the sender's configured URLs ('' clears). */
  setWebhooks(w: { statusCallbackUrl?: string | null; inboundUrl?: string | null }): void {
    if (w.statusCallbackUrl !== undefined) {
      this.service.statusCallback = w.statusCallbackUrl || null;
      for (const x of this.senders) x.statusCallbackUrl = w.statusCallbackUrl || null;
    }
    if (w.inboundUrl !== undefined) {
      this.service.inboundRequestUrl = w.inboundUrl || null;
      for (const x of this.senders) x.callbackUrl = w.inboundUrl || null;
    }
  }

  /** Applies to messages created from now on. */
  setLifecycle(l: LifecycleOptions): void {
    this.lifecycle = withLifecycleDefaults(l);
  }

  /**
   * Where a message's status callbacks go: its own StatusCallback, else (sent through the
   * service) the service's, else the sender's; our sender is in the service's pool, so the
   * service's URL is also the fallback for a sender without one.
   */
  statusCallbackUrl(m: LocalMessage): string | null {
    if (m.statusCallback) return m.statusCallback;
    const service = m.messagingServiceSid ? this.store.services.get(m.messagingServiceSid) : undefined;
    return service?.statusCallback ?? this.senderOf(m.from).statusCallbackUrl ?? this.service.statusCallback;
  }

  /** A number in a Messaging Service hands inbound messages to the service's URL first. */
  inboundUrl(to: string): string | null {
    return this.service.inboundRequestUrl ?? this.senderOf(to).callbackUrl;
  }

  /** The sender of one of our numbers (unknown or none: the first). */
  private senderOf(address: string | null): LocalSender {
    return this.senders.find((x) => x.senderId === address) ?? this.sender;
  }

  /** POST .../Messages.json: validated, stored, and its lifecycle scheduled. */
  send(form: URLSearchParams): LocalMessage {
    const r = parseOutboundRequest(form, this.store, this.senders.map((x) => x.senderId));
    const now = new Date();
    const viaService = r.messagingServiceSid !== null;
    // The bytes arrive once downloaded (below); until then the type is judged by the extension.
    const media = r.mediaUrls.map((url) => ({ sid: newSid('ME'), contentType: contentTypeOfUrl(url), bytes: Buffer.alloc(0), sourceUrl: url }));
    const m = this.store.addMessage({
      sid: newSid(media.length ? 'MM' : 'SM'),
      accountSid: this.accountSid,
      direction: 'outbound-api',
      // Through a service the sender is chosen later (`from` null while `accepted`), unless From names it.
      from: r.from,
      to: r.to,
      // twilio-node issue #1081: a Content API template sent with MessagingServiceSid comes back
      // (and stays) with body "".
      body: r.template ? (viaService ? '' : renderTemplate(r.template, r.contentVariables)) : (r.body ?? ''),
      status: viaService ? 'accepted' : 'queued',
      numMedia: media.length,
      media,
      errorCode: null,
      errorMessage: null,
      messagingServiceSid: r.messagingServiceSid,
      contentSid: r.template?.sid ?? null,
      statusCallback: r.statusCallback,
      dateCreated: now,
      dateSent: null,
      dateUpdated: now,
    });
    // WhatsApp refuses free text to someone who has not written in 24 h, but Twilio only finds out
    // after accepting the message: 201 now, `failed` 63016 later. An unapproved template is no
    // template to WhatsApp, so it counts as free text.
    const isTemplate = r.template?.approval === 'approved';
    const lastWrote = this.store.lastInbound.get(r.to)?.getTime() ?? 0;
    const outsideWindow = this.enforceWindow && !isTemplate && lastWrote < now.getTime() - WINDOW_MS;
    const lifecycle = this.lifecycle;
    const failWith = outsideWindow ? 63016 : lifecycle.failWith;
    const play = (code: number | null) =>
      playLifecycle(m, lifecycle, code, {
        scheduler: this.scheduler,
        whatsappFrom: this.whatsappFrom,
        statusCallbackUrl: (x) => this.statusCallbackUrl(x),
        callbackParams: (x, status) => statusCallbackParams(x, status, { accountSid: this.accountSid, senderSid: this.senderOf(x.from).sid, whatsappFrom: this.whatsappFrom }),
        post: (url, params, token) => this.webhooks.post(url, params, token),
        emit: (x, status) => this.emitEvent(x, status),
      });
    if (!media.length) play(failWith);
    // Twilio answers 201 at once, downloads the files, and only then does the message move on.
    else void this.scheduler.track(this.downloadAll(media, r.mediaUrls).then((failed) => play(failed ?? failWith)));
    return m;
  }

  /** Fills each item with the file at its URL and the type its server declared; false if one could not be had. */
  /** Downloads every file into its item; the error code to fail the message with, or null when all came. */
  private async downloadAll(media: LocalMedia[], urls: string[]): Promise<number | null> {
    const files = await Promise.all(urls.map(downloadMedia));
    let failed: number | null = null;
    files.forEach((file, i) => {
      if ('errorCode' in file) {
        failed ??= file.errorCode;
        return;
      }
      media[i]!.bytes = file.bytes;
      if (file.contentType) media[i]!.contentType = file.contentType;
    });
    return failed;
  }


  /** An outside system (the Wix site, a script) sending through the API with the same credentials. */
  externalSend(x: ExternalSendInput): LocalMessage {
    const form = new URLSearchParams({ To: x.to });
    if (x.viaService) form.set('MessagingServiceSid', this.service.sid);
    if (x.from || !x.viaService) form.set('From', x.from ?? this.whatsappFrom);
    if (x.body) form.set('Body', x.body);
    if (x.contentSid) form.set('ContentSid', x.contentSid);
    if (x.contentVariables) form.set('ContentVariables', JSON.stringify(x.contentVariables));
    if (x.statusCallback) form.set('StatusCallback', x.statusCallback);
    return this.send(form);
  }

  /**
   * A customer writes: the message is stored, opens the 24-hour window, and the signed inbound
   * webhook is posted. Resolves with the HTTP status our server answered (0: none, or no URL).
   */
  async receive(x: InboundInput): Promise<{ sid: string; status: number }> {
    if (!isWhatsappAddress(x.from)) throw badRequest(21211, `Invalid 'From' Phone Number: ${x.from}`);
    const to = x.to ?? this.whatsappFrom;
    if (!this.senders.some((s) => s.senderId === to)) throw badRequest(21211, `Invalid 'To' Phone Number: ${to} is not one of this account's WhatsApp senders`);
    const now = new Date();
    const media = (x.media ?? []).map((item) => ({ sid: newSid('ME'), contentType: item.contentType, bytes: bytesFromUrl(item.url, item.contentType) }));
    const m = this.store.addMessage({
      sid: newSid(media.length ? 'MM' : 'SM'),
      accountSid: this.accountSid,
      direction: 'inbound',
      from: x.from,
      to,
      body: x.body ?? '',
      status: 'received',
      numMedia: media.length,
      media,
      errorCode: null,
      errorMessage: null,
      messagingServiceSid: this.service.sid,
      contentSid: null,
      statusCallback: null,
      dateCreated: now,
      dateSent: now,
      dateUpdated: now,
    });
    this.store.lastInbound.set(x.from, now);
    void this.scheduler.track(this.emitEvent(m, 'received'));
    const url = this.inboundUrl(to);
    if (!url) return { sid: m.sid, status: 0 };
    const repliedTo = x.repliedToSid ? this.store.messages.get(x.repliedToSid) : undefined;
    const params = inboundParams(m, { ...x, repliedToSender: x.repliedToSender ?? repliedTo?.from ?? undefined }, (i) => this.mediaUrl(m, i));
    const status = await this.scheduler.track(this.webhooks.post(url, params));
    return { sid: m.sid, status: status ?? 0 };
  }

  /** Announces a message's status (or its arrival) to the Event Streams sinks subscribed to it. */
  private emitEvent(m: LocalMessage, status: string): Promise<void> {
    const { type, event } = messageEvent(m, status, this.whatsappFrom);
    return this.eventStreams.emit(type, event, m.sid);
  }

  /** Where media `index` of `m` is served; like Twilio's, it needs the account's credentials. */
  mediaUrl(m: LocalMessage, index: number): string {
    return `${this.publicUrl}/2010-04-01/Accounts/${this.accountSid}/Messages/${m.sid}/Media/${m.media[index]!.sid}`;
  }
}
