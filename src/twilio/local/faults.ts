import { setTimeout as sleep } from 'node:timers/promises';
import { injectedFailure, type TwilioApiError } from './twilio-errors.ts';

// Making the REST API misbehave on purpose: an error status (500, 429, 503...) or a slow answer,
// on the next `count` matching requests or until cleared.

export interface Fault {
  /** Answer this status with Twilio's error body. */
  status?: number;
  /** Hold the request this long first (a slow or hanging Twilio). */
  delayMs?: number;
  /** How many matching requests; omitted: until cleared. */
  count?: number;
  /** Only requests whose path contains this. */
  pathContains?: string;
}

export class FaultInjector {
  private fault: (Fault & { used: number }) | null = null;
  private readonly sleeping = new AbortController();

  set(f: Fault | null): void {
    this.fault = f ? { ...f, used: 0 } : null;
  }

  /**
   * Called before a REST request is handled: waits if the fault says so, and returns the error to
   * answer (or null to go on normally).
   */
  async apply(path: string): Promise<TwilioApiError | null> {
    const f = this.fault;
    if (!f || (f.pathContains && !path.includes(f.pathContains))) return null;
    f.used++;
    if (f.count !== undefined && f.used >= f.count) this.fault = null;
    if (f.delayMs) await sleep(f.delayMs, undefined, { signal: this.sleeping.signal, ref: false }).catch(() => {});
    return f.status ? injectedFailure(f.status) : null;
  }

  /** Ends every delay in progress (the server is closing). */
  close(): void {
    this.sleeping.abort();
  }
}
