import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/database.ts';
import { loginAttemptRepository, type LoginRefusal } from '../db/login-attempt-repository.ts';

export interface LoginLimitSettings {
  /** Failed logins one client address (an IPv6 /64) may make within the window. */
  addressMaxFailures: number;
  addressWindowSeconds: number;
  /** Failed logins for one email, whatever the address, before it is locked. */
  accountMaxFailures: number;
  /** The first lockout; each further failure doubles it, up to the longest. */
  accountBaseLockSeconds: number;
  accountMaxLockSeconds: number;
  /** An account's failures are forgotten this long after the last one. */
  accountForgetSeconds: number;
  /** How often this instance deletes rows that no longer count. */
  pruneEverySeconds: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimitSettings = {
  addressMaxFailures: 10,
  addressWindowSeconds: 15 * 60,
  accountMaxFailures: 5,
  accountBaseLockSeconds: 30,
  accountMaxLockSeconds: 15 * 60,
  accountForgetSeconds: 24 * 3600,
  pruneEverySeconds: 60,
};

/** What a login attempt may do: refused for a while, or go on and say how it ended. */
export type LoginGate =
  | ({ allowed: false } & LoginRefusal)
  | { allowed: true; succeeded(): Promise<void> };

/**
 * The client address a limit counts: an IPv4 address as is (also when written IPv4-mapped,
 * ::ffff:192.0.2.1), an IPv6 address by its /64, the block one customer line usually gets.
 */
export function addressKey(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  return `${ipv6Groups(ip).slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (zone dropped, `::` and an IPv4 tail expanded). */
function ipv6Groups(ip: string): number[] {
  let text = ip.split('%')[0]!;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const first = parse(head);
  const last = parse(tail);
  return [...first, ...Array<number>(8 - first.length - last.length).fill(0), ...last];
}

/** Accounts are counted by email as the login finds them: trimmed and lower-case. */
const emailKey = (email: string) => createHash('sha256').update(email.trim().toLowerCase()).digest('hex');

export type LoginLimits = ReturnType<typeof createLoginLimits>;

/**
 * The login's two limits, per client address and per account, kept in the database so that every
 * instance counts the same failures. The database always, never Redis even when it is set: a Redis
 * outage must neither open the door (limits forgotten) nor lock it (logins failing), and a login
 * needs the database anyway.
 */
export function createLoginLimits(db: Database, settings: LoginLimitSettings, log: FastifyBaseLogger) {
  let lastPrune = 0;

  async function pruneWhenDue(): Promise<void> {
    if (Date.now() - lastPrune < settings.pruneEverySeconds * 1000) return;
    lastPrune = Date.now();
    try {
      await loginAttemptRepository.prune(db, { addressWindowSeconds: settings.addressWindowSeconds, accountForgetSeconds: settings.accountForgetSeconds });
    } catch (err) {
      // Old rows only take room; the login goes on.
      log.warn({ err }, 'could not prune old login failures');
    }
  }

  return {
    /**
     * Counts the attempt as a failure before the password is checked (so parallel attempts cannot
     * outrun the count); `succeeded()` takes it back. While the address's budget is spent or the
     * account is locked the attempt is refused, whatever the password.
     */
    async begin(clientIp: string | undefined, email: string): Promise<LoginGate> {
      await pruneWhenDue();
      const address = addressKey(clientIp);
      const account = emailKey(email);
      const byAddress = await loginAttemptRepository.reserveAddress(db, address, {
        maxFailures: settings.addressMaxFailures, windowSeconds: settings.addressWindowSeconds,
      });
      if (byAddress) return { allowed: false, ...byAddress };
      const byAccount = await loginAttemptRepository.reserveAccount(db, account, {
        maxFailures: settings.accountMaxFailures, baseLockSeconds: settings.accountBaseLockSeconds,
        maxLockSeconds: settings.accountMaxLockSeconds, forgetSeconds: settings.accountForgetSeconds,
      });
      if (byAccount) {
        // Refused without a password check: not a failure of this address.
        await loginAttemptRepository.releaseAddress(db, address);
        return { allowed: false, ...byAccount };
      }
      return {
        allowed: true,
        async succeeded() {
          await loginAttemptRepository.releaseAddress(db, address);
          await loginAttemptRepository.forgetAccount(db, account);
        },
      };
    },
  };
}
