import type { Database } from '../../src/db/database.ts';
import { conversationRepository } from '../../src/db/conversation-repository.ts';
import { messageRepository, type NewCapturedItem, type StatusUpdate } from '../../src/db/message-repository.ts';
import { senderRepository } from '../../src/db/sender-repository.ts';
import { userRepository } from '../../src/db/user-repository.ts';
import { newSid, OUR_NUMBER } from './inbox.ts';

export const PATIENT = { phone: '+573001112233', profileName: 'María José Pérez' };
export const OTHER = { phone: '+573009998877' };
export const AGENT = { email: 'ana@clinica.test', name: 'Ana Gómez' };
/** A customer's text with everything CSV must quote: a comma, quotes, a line break; and accents. */
export const TRICKY_BODY = 'Hola, ¿tienen cita "mañana" a las 8?\nGracias — Señora Ñúñez';

const status = (s: StatusUpdate['status'], at: Date, more: Partial<StatusUpdate> = {}): StatusUpdate => ({ status: s, errorCode: null, errorMessage: null, at, ...more });

function captured(conversationId: string, o: { source: 'inbound' | 'external'; body: string; at: Date; media?: NewCapturedItem['media']; u: StatusUpdate }): NewCapturedItem {
  const inbound = o.source === 'inbound';
  return {
    sid: newSid(), conversationId, source: o.source, direction: inbound ? 'inbound' : 'outbound',
    capturedVia: inbound ? 'webhook' : 'callback', body: o.body, bodyPending: false, media: o.media ?? [],
    businessAddress: OUR_NUMBER, messagingServiceSid: null, createdAt: o.at, u: o.u,
    activity: { unread: inbound, inbound, raise: true, fetchJob: null },
  };
}

/** A customer's message as the inbound webhook records it. */
export async function addInbound(db: Database, conversationId: string, body: string, at: Date): Promise<string> {
  const [saved] = await messageRepository.insertOrAdvanceMany(db, [captured(conversationId, { source: 'inbound', body, at, u: status('received', at) })]);
  return saved!.message.id;
}

/**
 * A patient's conversation with one message of every kind (inbound with media, panel text,
 * template, a send Twilio refused, an outside sender's) and a second customer's conversation.
 * Times are set to the microsecond; the last two messages share one, so their ids order them.
 * Returns the patient's conversation id and its message ids in the order an export must list them.
 */
export async function seedConversations(db: Database): Promise<{ conversationId: string; otherConversationId: string; messageIds: string[]; kinds: Record<string, string> }> {
  // Our one number, as the server adds it at start.
  await senderRepository.upsertMany(db, [OUR_NUMBER]);
  const agent = (await userRepository.insert(db, { ...AGENT, role: 'agent', passwordHash: 'not-a-real-hash' }))!;
  const conversationId = await conversationRepository.ensureForPhone(db, PATIENT.phone);
  await conversationRepository.updateProfileName(db, conversationId, PATIENT.profileName, PATIENT.phone.slice(1));
  const t0 = new Date('2026-11-20T13:00:00Z');
  const minutes = (n: number) => new Date(t0.getTime() + n * 60_000);

  const [inbound] = await messageRepository.insertOrAdvanceMany(db, [captured(conversationId, {
    source: 'inbound', body: TRICKY_BODY, at: t0, u: status('received', t0),
    media: [{ url: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1', contentType: 'image/jpeg' }, { url: null, contentType: 'application/pdf' }],
  })]);
  const panel = await messageRepository.insertPanelMessage(db, { conversationId, body: 'Sí, a las 8:00, con la Dra. Ruiz', contentSid: null, contentVariables: null, sentBy: agent.id, businessAddress: OUR_NUMBER, messagingServiceSid: null });
  await messageRepository.attachSid(db, panel.id, newSid(), status('delivered', minutes(1), { alsoReached: [{ status: 'sent', at: minutes(1) }] }), null);
  const template = await messageRepository.insertPanelMessage(db, { conversationId, body: null, contentSid: 'HX' + 'a'.repeat(32), contentVariables: { 1: 'María', 2: '8:00' }, sentBy: agent.id, businessAddress: OUR_NUMBER, messagingServiceSid: null });
  await messageRepository.attachSid(db, template.id, newSid(), status('read', minutes(2), { alsoReached: [{ status: 'sent', at: minutes(2) }, { status: 'delivered', at: minutes(2) }] }), 'Hola María, su cita es a las 8:00');
  const failed = await messageRepository.insertPanelMessage(db, { conversationId, body: 'Texto fuera\nde la ventana', contentSid: null, contentVariables: null, sentBy: agent.id, businessAddress: OUR_NUMBER, messagingServiceSid: null });
  await messageRepository.markRejected(db, failed.id, 63016, 'Failed to send freeform message because you are outside the allowed window');
  const [external] = await messageRepository.insertOrAdvanceMany(db, [captured(conversationId, { source: 'external', body: 'Recordatorio desde la web', at: minutes(3), u: status('sent', minutes(3)) })]);

  const times: [string, string][] = [
    [inbound!.message.id, '2026-11-20T13:00:00.000001Z'],
    [panel.id, '2026-11-20T13:01:00.000002Z'],
    [template.id, '2026-11-20T13:02:00.000003Z'],
    [failed.id, '2026-11-20T13:03:00.000004Z'],
    [external!.message.id, '2026-11-20T13:03:00.000004Z'],
  ];
  for (const [id, at] of times) await db.query('UPDATE messages SET created_at = $2 WHERE id = $1', [id, at]);
  const sameTime = [failed.id, external!.message.id].sort();

  const otherConversationId = await conversationRepository.ensureForPhone(db, OTHER.phone);
  await addInbound(db, otherConversationId, 'Buenos días', minutes(10));

  return {
    conversationId, otherConversationId,
    messageIds: [inbound!.message.id, panel.id, template.id, ...sameTime],
    kinds: { inbound: inbound!.message.id, panel: panel.id, template: template.id, failed: failed.id, external: external!.message.id },
  };
}
