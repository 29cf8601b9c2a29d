import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { InboxContext } from '../../messages/context.ts';
import { createQuickReply, deleteQuickReply, listQuickReplies, updateQuickReply } from '../../messages/quick-replies.ts';

const idParams = z.object({ id: z.string().max(64) });
// `/Horario`, `horario` and `cotización` typed with a combining accent name the same shortcut: stored without the
// slash, lowercase, composed (NFC).
const shortcut = z
  .string()
  .max(64)
  .transform((s) => s.normalize('NFC').trim().replace(/^\//, '').toLowerCase())
  .pipe(z.string().regex(/^[\p{L}\p{N}_-]{1,32}$/u, 'must be 1 to 32 letters, digits, - or _ (an optional leading /)'));
const body = z.string().trim().min(1, 'must not be empty').max(4096);
const newQuickReply = z.strictObject({ shortcut, body });
const quickReplyPatch = z
  .strictObject({ shortcut: shortcut.optional(), body: body.optional() })
  .refine((p) => p.shortcut !== undefined || p.body !== undefined, 'shortcut or body is required');

/** Canned answers: every signed-in user reads them (the composer's `/` list); admins write them. */
export async function quickReplyRoutes(app: FastifyInstance, opts: { ctx: InboxContext }) {
  const { ctx } = opts;
  const admin = { config: { adminOnly: true } };
  app.get('/api/quick-replies', async () => ({ items: await listQuickReplies(ctx) }));
  app.post('/api/quick-replies', admin, async (request, reply) => {
    return reply.code(201).send(await createQuickReply(ctx, request.user!.id, newQuickReply.parse(request.body)));
  });
  app.patch('/api/quick-replies/:id', admin, async (request) => {
    const { id } = idParams.parse(request.params);
    return updateQuickReply(ctx, request.user!.id, id, quickReplyPatch.parse(request.body));
  });
  app.delete('/api/quick-replies/:id', admin, async (request, reply) => {
    const { id } = idParams.parse(request.params);
    await deleteQuickReply(ctx, request.user!.id, id);
    return reply.code(204).send();
  });
}
