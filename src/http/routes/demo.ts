import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

/** The part of the local Twilio that demo mode lets a user drive from the panel's "Simular" menu. */
export interface DemoTwilio {
  simulateInbound(m: { from: string; body?: string; profileName?: string }): Promise<{ sid: string; status: number }>;
  simulateExternalSend(m: { to: string; body?: string; contentSid?: string; contentVariables?: Record<string, string> }): Promise<{ sid: string }>;
}

const phone = z.string().trim().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone, e.g. +573153369631');
const inbound = z.strictObject({ from: phone, body: z.string().min(1).max(4096), profileName: z.string().max(100).optional() });
const externalSend = z.strictObject({
  to: phone,
  body: z.string().min(1).max(4096).optional(),
  contentSid: z.string().regex(/^HX[0-9a-fA-F]{32}$/).optional(),
  contentVariables: z.record(z.string(), z.string()).optional(),
}).refine((b) => b.body || b.contentSid, 'body or contentSid is required');

export async function demoRoutes(app: FastifyInstance, opts: { local: DemoTwilio }) {
  app.post('/api/demo/inbound', async (request) => {
    const m = inbound.parse(request.body);
    return opts.local.simulateInbound({ ...m, from: `whatsapp:${m.from}` });
  });
  app.post('/api/demo/external-send', async (request) => {
    const m = externalSend.parse(request.body);
    return opts.local.simulateExternalSend({ ...m, to: `whatsapp:${m.to}` });
  });
}
