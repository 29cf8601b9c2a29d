import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { NewConversationResultDto } from '../../contract/api.ts';
import type { InboxContext } from '../../messages/context.ts';
import { listAssignees, updateConversation } from '../../messages/conversation-updates.ts';
import { changesSince, conversationCounts, getConversation, listConversations, listMessages, markConversationRead, searchMessages } from '../../messages/inbox-queries.ts';
import { sendFromPanel } from '../../messages/send-message.ts';
import { startConversation } from '../../messages/start-conversation.ts';
import type { TemplateCatalog } from '../../messages/template-catalog.ts';

const page = z.object({
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const conversationStatus = z.enum(['open', 'resolved']);
const filterQuery = z.object({
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
});
const changesQuery = z.object({ after: z.coerce.number().int().min(0) });

export async function conversationRoutes(
  app: FastifyInstance,
  opts: {
    ctx: InboxContext; templates: TemplateCatalog; sender: { whatsappFrom: string | null; messagingServiceSid: string | null };
    /** DEFAULT_COUNTRY: a new chat's number without + is read in it. */
    defaultCountry: string;
  },
) {
  const { ctx } = opts;
  const sending = { ...ctx, templates: opts.templates, sender: opts.sender };
  app.get('/api/conversations', async (request) => {
    const { assignee, status, unread, ...rest } = listQuery.parse(request.query);
    return listConversations(ctx, { ...rest, filter: { assignee, status, unread }, me: request.user!.id });
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
  app.post('/api/conversations/:id/messages', async (request, reply) => {
    const { id } = idParams.parse(request.params);
    const out = sendBody.parse(request.body);
    const message = await sendFromPanel(sending, id, request.user!.id, out);
    return reply.code(201).send(message);
  });
  app.post('/api/conversations/:id/read', async (request) => markConversationRead(ctx, idParams.parse(request.params).id));
  app.get('/api/search/messages', async (request) => searchMessages(ctx, messageSearchQuery.parse(request.query)));
  app.get('/api/changes', async (request) => changesSince(ctx, changesQuery.parse(request.query).after));
  app.get('/api/templates', async () => ({ items: await opts.templates.list() }));
}
