import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { userEmail, userName, userPassword, userRole } from '../../auth/user-fields.ts';
import { createUser, updateUser } from '../../auth/users.ts';
import type { Database } from '../../db/database.ts';
import { auditRepository } from '../../db/audit-repository.ts';
import { userRepository } from '../../db/user-repository.ts';
import { isUuid } from '../../messages/inbox-queries.ts';
import { NotFoundError } from '../../messages/errors.ts';
import type { InboxEvents } from '../../messages/inbox-events.ts';
import type { SettingsStore } from '../../messages/settings-store.ts';
import type { AuditEntryDto, PageDto } from '../../contract/api.ts';

const newUser = z.strictObject({ email: userEmail, name: userName, password: userPassword, role: userRole.default('agent') });
const userPatch = z.strictObject({
  name: userName.optional(),
  role: userRole.optional(),
  disabled: z.boolean().optional(),
  password: userPassword.optional(),
});
const settingsPatch = z.strictObject({ externalRaisesConversation: z.boolean().optional(), replyTakesConversation: z.boolean().optional() });
// Keyset paging on the id: the cursor is the previous page's last id, so entries written while an
// admin pages back never shift a page or show twice.
const auditQuery = z.object({
  cursor: z.string().regex(/^\d{1,15}$/, 'must be a nextCursor from a previous page').optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export async function adminRoutes(app: FastifyInstance, opts: { db: Database; settings: SettingsStore; events: InboxEvents }) {
  const admin = { config: { adminOnly: true } };
  app.get('/api/users', admin, async () => ({ items: await userRepository.list(opts.db) }));
  app.post('/api/users', admin, async (request, reply) => {
    const body = newUser.parse(request.body);
    const user = await createUser(opts.db, body);
    await auditRepository.record(opts.db, { actorId: request.user!.id, action: 'user.create', target: user.id, details: { email: user.email, role: user.role } });
    return reply.code(201).send(user);
  });
  app.patch('/api/users/:id', admin, async (request) => {
    const { id } = request.params as { id: string };
    if (!isUuid(id)) throw new NotFoundError('User', 'Usuario');
    const patch = userPatch.parse(request.body);
    const user = await updateUser(opts.db, id, patch, opts.events);
    // What changed, never the password itself.
    const { password, ...changes } = patch;
    await auditRepository.record(opts.db, { actorId: request.user!.id, action: 'user.update', target: id, details: { ...changes, ...(password ? { passwordReset: true } : {}) } });
    return user;
  });
  app.put('/api/settings', admin, async (request) => {
    const patch = settingsPatch.parse(request.body);
    const saved = await opts.settings.save(patch);
    await auditRepository.record(opts.db, { actorId: request.user!.id, action: 'settings.update', target: null, details: patch });
    return saved;
  });
  app.get('/api/audit', admin, async (request): Promise<PageDto<AuditEntryDto>> => {
    const { cursor, limit } = auditQuery.parse(request.query);
    const rows = await auditRepository.page(opts.db, { beforeId: cursor ? Number(cursor) : null, limit: limit + 1 });
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? String(items[items.length - 1]!.id) : null };
  });
}
