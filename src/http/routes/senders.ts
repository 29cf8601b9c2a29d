import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { InboxContext } from '../../messages/context.ts';
import { listSenders, updateSender } from '../../messages/senders.ts';

const idParams = z.object({ id: z.string().max(64) });
const senderPatch = z
  .strictObject({
    name: z.string().trim().max(60).optional(),
    colour: z.string().trim().toLowerCase().regex(/^#[0-9a-f]{6}$/, 'must be a colour like #2563eb').nullable().optional(),
  })
  .refine((p) => p.name !== undefined || p.colour !== undefined, 'name or colour is required');

/** Our WhatsApp numbers: every signed-in user reads them (tags, filter, new chat); admins name and colour them. */
export async function senderRoutes(app: FastifyInstance, opts: { ctx: InboxContext }) {
  const { ctx } = opts;
  app.get('/api/senders', async () => ({ items: await listSenders(ctx) }));
  app.patch('/api/senders/:id', { config: { adminOnly: true } }, async (request) =>
    updateSender(ctx, request.user!.id, idParams.parse(request.params).id, senderPatch.parse(request.body)),
  );
}
