import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { sessionRepository, userRepository } from '../db/user-repository.ts';
import type { InboxEvents } from '../messages/inbox-events.ts';
import type { UserDto } from '../contract/api.ts';
import { burnPasswordCheck, hashPassword, passwordNeedsRehash, verifyPassword } from './passwords.ts';

export const SESSION_COOKIE = 'wa_session';
export const SESSION_DAYS = 7;

// Only a hash of the token is stored: a leaked database does not hand out live sessions. The hash
// also names the session elsewhere (its sockets' room), where the token itself must never go.
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** A new session for valid credentials; null for an unknown user, a wrong password or a disabled user alike. */
export async function login(db: Database, email: string, password: string): Promise<{ token: string; user: UserDto; expiresAt: Date } | null> {
  const user = await userRepository.findByEmail(db, email);
  if (!user) {
    await burnPasswordCheck(password);
    return null;
  }
  if (!(await verifyPassword(user.passwordHash, password)) || user.disabled) return null;
  if (passwordNeedsRehash(user.passwordHash)) await userRepository.update(db, user.id, { passwordHash: await hashPassword(password) });
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + SESSION_DAYS * 86400_000);
  await sessionRepository.insert(db, hashToken(token), user.id, expiresAt);
  const { passwordHash: _, ...dto } = user;
  return { token, user: dto, expiresAt };
}

export const userForSession = (db: Database, token: string) => sessionRepository.findUser(db, hashToken(token));
/** Ends one session; its open sockets close (other sessions of the same user stay). */
export async function logout(db: Database, events: InboxEvents, token: string): Promise<void> {
  const sessionTokenHash = hashToken(token);
  await sessionRepository.delete(db, sessionTokenHash);
  events.emit('sessions:ended', { sessionTokenHash });
}
