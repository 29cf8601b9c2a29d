import { randomUUID } from 'node:crypto';
import twilio from 'twilio';

export interface CallbackLog {
  url: string;
  params: Record<string, string>;
  status: number | null;
  error: string | null;
  at: Date;
}

/**
 * Posts a form the way Twilio does: signed with the auth token over the exact URL called, 15 s
 * at most, and on a connection failure one retry (Twilio's default), then it gives up.
 */
const LOG_LIMIT = 10_000;
const remember = (log: CallbackLog[], entry: CallbackLog) => {
  log.push(entry);
  if (log.length > LOG_LIMIT) log.splice(0, log.length - LOG_LIMIT);
};

export async function postSignedForm(authToken: string, url: string, params: Record<string, string>, log: CallbackLog[]): Promise<number | null> {
  const signature = twilio.getExpectedTwilioSignature(authToken, url, params);
  const idempotency = randomUUID();
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
          'x-twilio-signature': signature,
          'user-agent': 'TwilioProxy/1.1',
          'i-twilio-idempotency-token': idempotency,
        },
        body: new URLSearchParams(params).toString(),
        signal: AbortSignal.timeout(15_000),
      });
      await res.arrayBuffer();
      remember(log, { url, params, status: res.status, error: null, at: new Date() });
      return res.status;
    } catch (err) {
      if (attempt === 1) {
        remember(log, { url, params, status: null, error: (err as Error).message, at: new Date() });
        return null;
      }
    }
  }
  return null;
}

/** Runs scheduled work and lets a caller wait until none is pending (tests: `idle()`). */
export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private pending = 0;
  private waiters: (() => void)[] = [];

  after(ms: number, work: () => Promise<unknown>): void {
    this.pending++;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      work().catch(() => {}).finally(() => this.done());
    }, ms);
    this.timers.add(timer);
  }

  /** Work that is already running (a webhook in flight) counts as pending too. */
  track<T>(work: Promise<T>): Promise<T> {
    this.pending++;
    return work.finally(() => this.done());
  }

  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  cancelAll(): void {
    for (const t of this.timers) clearTimeout(t);
    this.pending -= this.timers.size;
    this.timers.clear();
    if (this.pending <= 0) this.flush();
  }

  private done() {
    this.pending--;
    if (this.pending <= 0) this.flush();
  }

  private flush() {
    this.pending = Math.max(0, this.pending);
    const w = this.waiters;
    this.waiters = [];
    w.forEach((resolve) => resolve());
  }
}
