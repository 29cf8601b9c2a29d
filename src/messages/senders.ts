import { configuredNumbers, type TwilioConfig } from '../config/env.ts';
import type { Database } from '../db/database.ts';
import { auditRepository } from '../db/audit-repository.ts';
import { senderRepository } from '../db/sender-repository.ts';
import type { SenderDto } from '../contract/api.ts';
import type { TwilioGateway } from '../twilio/gateway.ts';
import type { InboxContext } from './context.ts';
import { DomainError, NotFoundError } from './errors.ts';
import { isUuid } from './inbox-queries.ts';
import { isWhatsappAddress } from './addresses.ts';


/**
 * Our WhatsApp numbers as this instance knows them from its configuration: TWILIO_WHATSAPP_FROM's
 * numbers and the Messaging Service's senders (listed from Twilio at start). Every instance reads
 * the same configuration, so they agree on which messages are ours.
 */
export interface SenderDirectory {
  /** TWILIO_WHATSAPP_FROM's numbers, in order. */
  readonly configured: readonly string[];
  /** The Messaging Service's WhatsApp senders (empty without a service, or when Twilio could not list them). */
  readonly inService: readonly string[];
  readonly messagingServiceSid: string | null;
  /** The number a message that names none of ours belongs to: the first configured, else the service's first. */
  readonly defaultAddress: string | null;
  /**
   * Whether a message between `ourAddress` and a customer is ours to record: our side is one of our
   * numbers, or it went through our Messaging Service (with neither configured, any WhatsApp
   * number of the account).
   */
  isOurs(ourAddress: string | null | undefined, serviceSid: string | null | undefined): boolean;
  /** The sender a message's conversation is with: its own address when it is a WhatsApp number, else the default. */
  addressFor(ourAddress: string | null | undefined): string | null;
  /**
   * How a reply goes out from `address`: through the service (with `from`, so Twilio uses that
   * number) when the number is in it, or when a service is all there is; else from the number.
   */
  sendingFrom(address: string): { from: string; messagingServiceSid: string | null };
}

export function senderDirectory(o: { configured: readonly string[]; inService: readonly string[]; messagingServiceSid: string | null }): SenderDirectory {
  const configured = o.configured.filter(isWhatsappAddress);
  const inService = o.inService.filter(isWhatsappAddress);
  const ours = new Set([...configured, ...inService]);
  const defaultAddress = configured[0] ?? inService[0] ?? null;
  return {
    configured, inService, messagingServiceSid: o.messagingServiceSid, defaultAddress,
    isOurs(ourAddress, serviceSid) {
      if (!ours.size && !o.messagingServiceSid) return !!ourAddress?.startsWith('whatsapp:');
      return (!!ourAddress && ours.has(ourAddress)) || (!!serviceSid && serviceSid === o.messagingServiceSid);
    },
    addressFor: (ourAddress) => (isWhatsappAddress(ourAddress) ? ourAddress : defaultAddress),
    sendingFrom(address) {
      const viaService = !!o.messagingServiceSid && (inService.includes(address) || !configured.includes(address));
      return { from: address, messagingServiceSid: viaService ? o.messagingServiceSid : null };
    },
  };
}

/**
 * At start: lists the Messaging Service's WhatsApp senders (a failure is logged and the configured
 * numbers serve), and adds every number to the senders table (an upsert: several instances may
 * start together).
 */
export async function loadSenders(
  deps: { db: Database; twilio: TwilioGateway; log: Pick<InboxContext['log'], 'warn'> },
  cfg: Pick<TwilioConfig, 'whatsappSenders' | 'whatsappFrom' | 'messagingServiceSid'>,
): Promise<SenderDirectory> {
  let inService: string[] = [];
  if (cfg.messagingServiceSid) {
    try {
      inService = await deps.twilio.listServiceSenders(cfg.messagingServiceSid);
    } catch (err) {
      deps.log.warn({ err }, 'could not list the Messaging Service\'s WhatsApp senders; using TWILIO_WHATSAPP_FROM\'s numbers');
    }
  }
  const configured = configuredNumbers(cfg);
  const directory = senderDirectory({ configured, inService, messagingServiceSid: cfg.messagingServiceSid });
  await senderRepository.upsertMany(deps.db, [...directory.configured, ...directory.inService]);
  return directory;
}

export const listSenders = (ctx: InboxContext): Promise<SenderDto[]> => senderRepository.list(ctx.db);

/** An admin names or recolours one of our numbers; audited; every panel fetches the senders again. */
export async function updateSender(ctx: InboxContext, userId: string, id: string, p: { name?: string; colour?: string | null }): Promise<SenderDto> {
  if (!isUuid(id)) throw new NotFoundError('Sender', 'Número');
  const updated = await ctx.db.transaction(async (tx) => {
    const result = await senderRepository.update(tx, id, p);
    if (!result) throw new NotFoundError('Sender', 'Número');
    const { before, after } = result;
    await auditRepository.record(tx, {
      actorId: userId, action: 'sender.update', target: id,
      details: { address: after.address, name: after.name, ...(before.name !== after.name ? { from: before.name } : {}), ...(p.colour !== undefined ? { colour: p.colour } : {}) },
    });
    return after;
  });
  ctx.events.emit('senders:changed', { id });
  // Conversations carry their sender: lists show the new name and colour on their next fetch.
  return updated;
}

/**
 * A new chat's sender: required when there are several (its id or its whatsapp:+57... address),
 * 400 when unknown; with one, that one.
 */
export async function chooseSender(ctx: InboxContext, given: string | undefined): Promise<string> {
  const senders = await senderRepository.list(ctx.db);
  if (given !== undefined) {
    const found = senders.find((s) => s.id === given || s.address === given || s.phone === given);
    if (!found) throw new DomainError('unknown_sender', `Unknown sender ${given}`, `Número de envío desconocido: ${given}`);
    return found.address;
  }
  const usable = ctx.senders.defaultAddress ?? senders[0]?.address;
  if (senders.length > 1) throw new DomainError('validation', 'Choose which of our numbers writes (sender)', 'Elija desde qué número se escribe (sender)');
  if (!usable) throw new DomainError('validation', 'No WhatsApp number is configured (TWILIO_WHATSAPP_FROM)', 'No hay ningún número de WhatsApp configurado (TWILIO_WHATSAPP_FROM)');
  return usable;
}
