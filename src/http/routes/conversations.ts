import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z, ZodError } from 'zod';
import type { NewConversationResultDto } from '../../contract/api.ts';
import type { InboxContext } from '../../messages/context.ts';
import { listAssignees, updateConversation } from '../../messages/conversation-updates.ts';
import { changesSince, conversationCounts, getConversation, listConversations, listMessages, markConversationRead, searchMessages } from '../../messages/inbox-queries.ts';
import { DomainError } from '../../messages/errors.ts';
import { MAX_FILE_BYTES, MediaTooLargeError } from '../../messages/outgoing-media.ts';
import { discardUpload, receiveUpload, type UploadedFile } from '../../messages/receive-upload.ts';
import { sendFromPanel, type Outgoing } from '../../messages/send-message.ts';
import { startConversation } from '../../messages/start-conversation.ts';
import type { TemplateCatalog } from '../../messages/template-catalog.ts';

const page = z.object({
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const conversationStatus = z.enum(['open', 'resolved']);
const filterQuery = z.object({
  sender: z.string().regex(UUID, 'must be a sender id').optional(),
  assignee: z.union([z.enum(['me', 'none']), z.string().regex(UUID, 'must be me, none or a user id')]).optional(),
  status: conversationStatus.optional(),
  unread: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
});
const searchQuery = z.object({ q: z.string().max(200).optional() });
const listQuery = page.extend(searchQuery.shape).extend(filterQuery.shape);
const countsQuery = filterQuery.extend(searchQuery.shape);
const messageSearchQuery = page.extend({ q: z.string().trim().min(1, 'must not be empty').max(200) });
const conversationPatch = z.strictObject({
  assigneeId: z.string().max(64).nullable().optional(),
  status: conversationStatus.optional(),
  // Only ever set back: reading the chat is what clears it.
  unread: z.literal(true).optional(),
}).refine((p) => Object.keys(p).length > 0, 'give assigneeId, status or unread');
const idParams = z.object({ id: z.string().max(64) });
const contentSid = z.string().regex(/^HX[0-9a-fA-F]{32}$/, 'must be a Content SID (HX...)');
const contentVariables = z.record(z.string().regex(/^\w{1,20}$/), z.string().max(1024)).default({});
const sendBody = z.union([
  z.strictObject({ body: z.string().trim().min(1, 'must not be empty').max(4096) }),
  z.strictObject({ contentSid, contentVariables }),
]);
// The number and country are checked by the domain (parseCustomerPhone), which answers in both languages.
const newConversationBody = z.strictObject({
  phone: z.string().trim().min(1, 'must not be empty').max(40),
  country: z.string().trim().max(2).optional(),
  name: z.string().trim().max(100).optional(),
  contentSid,
  contentVariables,
  // A sender's id or address; checked by the domain (chooseSender): 400 when unknown.
  sender: z.string().trim().min(1).max(64).optional(),
});
const changesQuery = z.object({ after: z.coerce.number().int().min(0) });
const caption = z.string().trim().max(4096).transform((v) => v || null);

/**
 * A multipart send: one `file` part, kept in chunks as it arrives and only up to WhatsApp's limit
 * (one byte over: 413, and the rest of the body is never read), and an optional caption in `body`,
 * in either order. A refused body leaves nothing stored.
 */
async function readMultipartSend(request: FastifyRequest, ctx: InboxContext): Promise<Outgoing> {
  let file: UploadedFile | null = null;
  let body: string | null = null;
  try {
    // The file's own limit is ours (receiveUpload); busboy's is a backstop one byte past it.
    for await (const part of request.parts({ limits: { files: 1, fields: 1, parts: 2, fieldSize: 16 * 1024, fileSize: MAX_FILE_BYTES + 1 } })) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file') throw new DomainError('validation', 'The file goes in the field "file"', 'El archivo va en el campo "file"');
        file = await receiveUpload(ctx.db, part.file, { claimedType: part.mimetype, filename: part.filename, createdBy: request.user!.id });
      } else if (part.fieldname === 'body') {
        body = caption.parse(part.value);
      }
    }
  } catch (err) {
    // A file kept before the body went wrong (a second file part, a bad caption) goes.
    if (file) await discardUpload(ctx.db, file.mediaId);
    if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw new MediaTooLargeError(false);
    if (err instanceof DomainError || err instanceof ZodError || (err as { statusCode?: number }).statusCode) throw err;
    // busboy's own complaints (a body cut short, a broken boundary) are the client's, not ours.
    throw new DomainError('validation', `Malformed multipart body: ${(err as Error).message}`, `Cuerpo multipart mal formado: ${(err as Error).message}`);
  }
  if (!file) throw new DomainError('validation', 'Attach a file in the field "file"', 'Adjunte un archivo en el campo "file"');
  return { media: file, body };
}

export async function conversationRoutes(
  app: FastifyInstance,
  opts: {
    ctx: InboxContext; templates: TemplateCatalog;
    /** DEFAULT_COUNTRY: a new chat's number without + is read in it. */
    defaultCountry: string;
    /** MEDIA_LINK_TTL_HOURS: how long Twilio's link to a sent file works. */
    mediaLinkTtlHours?: number;
  },
) {
  const { ctx } = opts;
  const sending = { ...ctx, templates: opts.templates, mediaLinkTtlHours: opts.mediaLinkTtlHours };
  // Only for the send below: every other route keeps answering multipart with 415 (body-types.ts).
  await app.register(multipart);
  app.get('/api/conversations', async (request) => {
    const { assignee, status, unread, sender, ...rest } = listQuery.parse(request.query);
    return listConversations(ctx, { ...rest, filter: { assignee, status, unread, sender }, me: request.user!.id });
  });
  app.post('/api/conversations', async (request, reply) => {
    const started = await startConversation({ ...sending, defaultCountry: opts.defaultCountry }, request.user!.id, newConversationBody.parse(request.body));
    const answer: NewConversationResultDto = { conversation: started.conversation, message: started.message };
    return reply.code(started.created ? 201 : 200).send(answer);
  });
  app.get('/api/conversations/counts', async (request) => conversationCounts(ctx, request.user!.id, countsQuery.parse(request.query)));
  app.get('/api/conversations/:id', async (request) => getConversation(ctx, idParams.parse(request.params).id));
  app.patch('/api/conversations/:id', async (request) =>
    updateConversation(ctx, idParams.parse(request.params).id, request.user!.id, conversationPatch.parse(request.body)),
  );
  app.get('/api/assignees', async () => ({ items: await listAssignees(ctx) }));
  app.get('/api/conversations/:id/messages', async (request) =>
    listMessages(ctx, idParams.parse(request.params).id, page.parse(request.query)),
  );
  app.post('/api/conversations/:id/messages', { config: { bodyType: ['json', 'multipart'] } }, async (request, reply) => {
    const { id } = idParams.parse(request.params);
    let out: Outgoing;
    if (request.isMultipart()) {
      try {
        out = await readMultipartSend(request, ctx);
      } catch (err) {
        // The rest of a refused upload is not read: the connection closes after the answer.
        reply.header('connection', 'close');
        throw err;
      }
    } else out = sendBody.parse(request.body);
    const message = await sendFromPanel(sending, id, request.user!.id, out);
    return reply.code(201).send(message);
  });
  app.post('/api/conversations/:id/read', async (request) => markConversationRead(ctx, idParams.parse(request.params).id));
  app.get('/api/search/messages', async (request) => searchMessages(ctx, messageSearchQuery.parse(request.query)));
  app.get('/api/changes', async (request) => changesSince(ctx, changesQuery.parse(request.query).after));
  app.get('/api/templates', async () => ({ items: await opts.templates.list() }));
}
