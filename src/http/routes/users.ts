import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { createUser, updateUser } from '../../auth/users.ts';
import type { Database } from '../../db/database.ts';
import { userRepository } from '../../db/user-repository.ts';
import { isUuid } from '../../messages/inbox-queries.ts';
import { NotFoundError } from '../../messages/errors.ts';
import type { SettingsStore } from '../../messages/settings-store.ts';

const role = z.enum(['admin', 'agent']);
const newUser = z.strictObject({
  email: z.string().trim().email().max(320),
  name: z.string().trim().min(1).max(100),
  password: z.string().min(8).max(1024),
  role: role.default('agent'),
});
const userPatch = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  role: role.optional(),
  disabled: z.boolean().optional(),
  password: z.string().min(8).max(1024).optional(),
});
const settingsPatch = z.strictObject({ externalRaisesConversation: z.boolean().optional() });

export async function adminRoutes(app: FastifyInstance, opts: { db: Database; settings: SettingsStore }) {
  const admin = { config: { adminOnly: true } };
  app.get('/api/users', admin, async () => ({ items: await userRepository.list(opts.db) }));
  app.post('/api/users', admin, async (request, reply) => reply.code(201).send(await createUser(opts.db, newUser.parse(request.body))));
  app.patch('/api/users/:id', admin, async (request) => {
    const { id } = request.params as { id: string };
    if (!isUuid(id)) throw new NotFoundError('User', 'Usuario');
    return updateUser(opts.db, id, userPatch.parse(request.body));
  });
  app.put('/api/settings', admin, async (request) => opts.settings.save(settingsPatch.parse(request.body)));
}
