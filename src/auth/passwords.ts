import argon2 from 'argon2';

/**
 * argon2id at OWASP's recommended 19 MiB, 2 passes, 1 lane. The library's default (64 MiB, 4
 * lanes) held 64 MB for each login in progress, four at once 256 MB: more than a PGlite server's
 * whole steady memory, for strength that logins' rate limits do not need.
 */
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string) => argon2.hash(password, ARGON2_OPTIONS);

/** Whether a stored hash was made with other settings (an older release's): re-hashed at its next login. */
export const passwordNeedsRehash = (hash: string) => argon2.needsRehash(hash, ARGON2_OPTIONS);

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

// Verified against when the email is unknown, so both failures take the same time.
let dummyHash: Promise<string> | null = null;
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword('not-a-real-password-' + Math.random());
  await verifyPassword(await dummyHash, password);
}
