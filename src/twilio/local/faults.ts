import { setTimeout as sleep } from 'node:timers/promises';

// Making the REST API misbehave on purpose: an error status (500, 429, 503...), a slow answer, or
// a connection closed without an answer, on the next `count` matching requests or until cleared.

export interface Fault {
  /** Answer this status with Twilio's error body (the request is not handled). */
  status?: number;
  /**
   * Hold the request this long first (a slow or hanging Twilio). A held request is still handled
   * afterwards, even when its client has given up: Twilio got it, so a send creates its message.
   */
  delayMs?: number;
  /** How many matching requests; omitted: until cleared. */
  count?: number;
  /** Only requests whose path contains this. */
  pathContains?: string;
  /** Seconds to send in Retry-After with the error (Twilio's 429s may carry one). */
  retryAfter?: number;
  /** Close the connection instead of answering. Without `status` the request is handled first: the work is done, the answer lost. */
  drop?: boolean;
}

export class FaultInjector {
  private fault: (Fault & { used: number }) | null = null;
  private readonly sleeping = new AbortController();
  private matchedCount = 0;
  private heldCount = 0;

  set(f: Fault | null): void {
    this.fault = f ? { ...f, used: 0 } : null;
    this.matchedCount = 0;
  }

  /** Requests the fault set last has matched, and how many of them are being held right now. */
  stats(): { matched: number; held: number } {
    return { matched: this.matchedCount, held: this.heldCount };
  }

  /**
   * Called before a REST request is handled: waits if the fault says so, and returns the fault
   * that applies to it (null: go on normally).
   */
  async apply(path: string): Promise<Fault | null> {
    const f = this.fault;
    if (!f || (f.pathContains && !path.includes(f.pathContains))) return null;
    f.used++;
    this.matchedCount++;
    if (f.count !== undefined && f.used >= f.count) this.fault = null;
    if (f.delayMs) {
      this.heldCount++;
      await sleep(f.delayMs, undefined, { signal: this.sleeping.signal, ref: false }).catch(() => {});
      this.heldCount--;
    }
    return f;
  }

  /** Ends every delay in progress (the server is closing). */
  close(): void {
    this.sleeping.abort();
  }
}
