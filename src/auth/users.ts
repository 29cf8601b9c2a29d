import { randomBytes } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { sessionRepository, userRepository } from '../db/user-repository.ts';
import { DomainError, NotFoundError } from '../messages/errors.ts';
import type { InboxEvents } from '../messages/inbox-events.ts';
import type { UserDto } from '../contract/api.ts';
import { hashPassword } from './passwords.ts';

export async function createUser(db: Database, u: { email: string; name: string; password: string; role: UserDto['role'] }): Promise<UserDto> {
  const created = await userRepository.insert(db, { email: u.email, name: u.name, role: u.role, passwordHash: await hashPassword(u.password) });
  if (!created) throw new DomainError('email_taken', 'A user with this email already exists', 'Ya existe un usuario con este correo');
  return created;
}

/**
 * Changes a user; disabling or a new password ends the user's sessions. Those, and a role change,
 * also close the user's open sockets at once through `events` (after a role change the panel
 * reconnects with its session and the new role). Without `events` (the command line, another
 * process) they close at the server's next check of its sockets' sessions.
 */
export async function updateUser(db: Database, id: string, p: { name?: string; role?: UserDto['role']; disabled?: boolean; password?: string }, events?: InboxEvents): Promise<UserDto> {
  const updated = await userRepository.update(db, id, {
    name: p.name, role: p.role, disabled: p.disabled,
    passwordHash: p.password ? await hashPassword(p.password) : undefined,
  });
  if (!updated) throw new NotFoundError('User', 'Usuario');
  if (p.disabled || p.password) await sessionRepository.deleteForUser(db, id);
  if (p.disabled || p.password || p.role) events?.emit('sessions:ended', { userId: id });
  return updated;
}

/**
 * The first admin, when no user exists: from ADMIN_EMAIL / ADMIN_PASSWORD, or with a generated
 * password that the caller prints once.
 */
export async function ensureFirstAdmin(db: Database, admin: { email: string; password: string | null }): Promise<{ email: string; generatedPassword: string | null } | null> {
  if ((await userRepository.count(db)) > 0) return null;
  const password = admin.password ?? randomBytes(9).toString('base64url');
  const created = await userRepository.insert(db, { email: admin.email, name: 'Admin', role: 'admin', passwordHash: await hashPassword(password) });
  if (!created) return null; // another instance created it first
  return { email: admin.email, generatedPassword: admin.password ? null : password };
}
