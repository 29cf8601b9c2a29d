import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { updateContact } from '../../messages/contacts.ts';
import type { InboxContext } from '../../messages/context.ts';
import { addNote } from '../../messages/notes.ts';

const idParams = z.object({ id: z.string().max(64) });
const contactPatch = z
  .strictObject({
    name: z.string().trim().min(1, 'must not be empty (null goes back to the WhatsApp profile name)').max(100).nullable().optional(),
    notes: z.string().max(4000).optional(),
  })
  .refine((p) => p.name !== undefined || p.notes !== undefined, 'name or notes is required');
const newNote = z.strictObject({ body: z.string().trim().min(1, 'must not be empty').max(4096) });

/** The contact panel (the customer's name and notes) and the chat's internal notes. */
export async function contactAndNoteRoutes(app: FastifyInstance, opts: { ctx: InboxContext }) {
  const { ctx } = opts;
  app.patch('/api/contacts/:id', async (request) => {
    const { id } = idParams.parse(request.params);
    return updateContact(ctx, id, request.user!.id, contactPatch.parse(request.body));
  });
  app.post('/api/conversations/:id/notes', async (request, reply) => {
    const { id } = idParams.parse(request.params);
    const { body } = newNote.parse(request.body);
    return reply.code(201).send(await addNote(ctx, id, request.user!.id, body));
  });
}
