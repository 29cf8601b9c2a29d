import { randomBytes } from 'node:crypto';

// The local Twilio's state: what a real account holds (messages, templates, a Messaging Service,
// WhatsApp senders), in memory.

export interface LocalMessage {
  sid: string;
  accountSid: string;
  direction: 'outbound-api' | 'inbound';
  from: string | null;
  to: string;
  body: string;
  status: string;
  numMedia: number;
  media: { sid: string; contentType: string }[];
  errorCode: number | null;
  errorMessage: string | null;
  messagingServiceSid: string | null;
  contentSid: string | null;
  statusCallback: string | null;
  dateCreated: Date;
  dateSent: Date | null;
  dateUpdated: Date;
}

export interface LocalTemplate {
  sid: string;
  friendlyName: string;
  language: string;
  body: string;
  variables: Record<string, string>;
  approval: 'approved' | 'pending' | 'rejected';
  category: string;
}

export interface LocalService {
  sid: string;
  friendlyName: string;
  statusCallback: string | null;
  inboundRequestUrl: string | null;
}

export interface LocalSender {
  sid: string;
  senderId: string;
  callbackUrl: string | null;
  statusCallbackUrl: string | null;
}

export const newSid = (prefix: string) => prefix + randomBytes(16).toString('hex');

const CLINIC_TEMPLATES: Omit<LocalTemplate, 'sid'>[] = [
  {
    friendlyName: 'recordatorio_cita', language: 'es', category: 'UTILITY', approval: 'approved',
    body: 'Hola {{1}}, le recordamos su examen ocupacional el {{2}} a las {{3}}. Responda SÍ para confirmar.',
    variables: { 1: 'Ana', 2: '3 de diciembre', 3: '8:00 a. m.' },
  },
  {
    friendlyName: 'resultados_listos', language: 'es', category: 'UTILITY', approval: 'approved',
    body: 'Hola {{1}}, los resultados de su examen ya están disponibles. Puede recogerlos en la sede {{2}}.',
    variables: { 1: 'Carlos', 2: 'Chapinero' },
  },
  {
    friendlyName: 'reactivar_conversacion', language: 'es', category: 'UTILITY', approval: 'approved',
    body: 'Hola {{1}}, tenemos una actualización sobre su trámite. ¿Podemos continuar por este medio?',
    variables: { 1: 'María' },
  },
  {
    friendlyName: 'promocion_brigada', language: 'es', category: 'MARKETING', approval: 'pending',
    body: 'Brigada de salud ocupacional para su empresa este {{1}}. ¡Agende ya!',
    variables: { 1: 'sábado' },
  },
];

export class LocalStore {
  readonly messages = new Map<string, LocalMessage>();
  /** Newest last; listing walks it backwards (Twilio lists newest first). */
  readonly order: LocalMessage[] = [];
  readonly templates = new Map<string, LocalTemplate>();
  readonly services = new Map<string, LocalService>();
  readonly senders = new Map<string, LocalSender>();
  /** The last time each customer (whatsapp:+57...) wrote to us: WhatsApp's 24-hour window. */
  readonly lastInbound = new Map<string, Date>();

  constructor(readonly accountSid: string) {
    for (const t of CLINIC_TEMPLATES) this.addTemplate(t);
  }

  addTemplate(t: Omit<LocalTemplate, 'sid'> & { sid?: string }): LocalTemplate {
    const template = { ...t, sid: t.sid ?? newSid('HX') };
    this.templates.set(template.sid, template);
    return template;
  }

  add(m: LocalMessage): LocalMessage {
    this.messages.set(m.sid, m);
    this.order.push(m);
    return m;
  }
}
