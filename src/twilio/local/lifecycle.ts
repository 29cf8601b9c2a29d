import { randomUUID } from 'node:crypto';
import type { Scheduler } from './scheduler.ts';
import type { LocalMessage } from './store.ts';
import { failureText } from './twilio-errors.ts';

// What happens to a message after Twilio accepted it: its status moves forward step by step and
// each step is announced by a status callback. The stored message always advances in order (so
// GET and the list API show the latest status); the callbacks can be made to arrive shuffled or
// twice, as Twilio's do.

export interface LifecycleOptions {
  /** Statuses that follow the initial one, each announced by a callback. Default sent, delivered, read. */
  statuses?: string[];
  /** Delay between steps. Default 50 ms. */
  delayMs?: number;
  /** Send the callbacks in a shuffled order (never the forward one when there are two or more). */
  reorder?: boolean;
  /** Send each callback twice, at the same instant on two connections. */
  duplicate?: boolean;
  /** After queued, fail with this error code (e.g. 63016): the next callback is `failed` with ErrorCode. */
  failWith?: number | null;
}

export const DEFAULT_LIFECYCLE: Required<LifecycleOptions> = { statuses: ['sent', 'delivered', 'read'], delayMs: 50, reorder: false, duplicate: false, failWith: null };

export const withLifecycleDefaults = (l: LifecycleOptions = {}): Required<LifecycleOptions> => ({ ...DEFAULT_LIFECYCLE, ...l, statuses: [...(l.statuses ?? DEFAULT_LIFECYCLE.statuses)] });

const FINAL = new Set(['failed', 'undelivered', 'canceled']);

/**
 * The statuses a message goes through after the initial one. Through a Messaging Service the
 * initial status is `accepted` and `queued` follows it (with a callback) once a sender is picked;
 * `statuses: []` still means "no callbacks at all".
 */
export function plannedStatuses(m: LocalMessage, l: Required<LifecycleOptions>, failWith: number | null): string[] {
  const viaService = m.status === 'accepted';
  if (failWith) return viaService ? ['queued', 'failed'] : ['failed'];
  const next = l.statuses.filter((s) => s !== m.status);
  return viaService && next.length && !next.includes('queued') ? ['queued', ...next] : next;
}

/** A shuffle that never returns the original order (when there are two or more items). */
export function shuffledOrder<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  if (out.length > 1 && out.every((x, i) => x === items[i])) out.push(out.shift()!);
  return out;
}

export interface LifecycleDeps {
  scheduler: Scheduler;
  whatsappFrom: string;
  /** Where this message's callbacks go now (per-message StatusCallback, else service/sender). */
  statusCallbackUrl(m: LocalMessage): string | null;
  callbackParams(m: LocalMessage, status: string): Record<string, string>;
  post(url: string, params: Record<string, string>, idempotencyToken: string): Promise<unknown>;
  /** Announces the step to Event Streams' subscribed sinks, whatever the message's own StatusCallback. */
  emit(m: LocalMessage, status: string): Promise<unknown>;
}

/** Applies one step to the stored message. A final status (failed...) never changes again. */
function advance(m: LocalMessage, status: string, failWith: number | null, whatsappFrom: string) {
  if (FINAL.has(m.status)) return;
  const now = new Date();
  m.status = status;
  m.dateUpdated = now;
  // A service picks its sender when the message leaves `accepted`.
  m.from ??= whatsappFrom;
  if (status !== 'queued' && !m.dateSent) m.dateSent = now;
  if (status === 'failed' && failWith) {
    m.errorCode = failWith;
    m.errorMessage = failureText(failWith);
  }
}

/**
 * Schedules `m`'s lifecycle: step i at (i + 1) × delayMs from now. A step's callback leaves once
 * the previous step's was answered (or given up), so they arrive in the order announced: forward,
 * or shuffled with `reorder`. Sent side by side, a slow connection let `delivered` overtake `sent`
 * now and then, and "in order" was only likely.
 */
export function playLifecycle(m: LocalMessage, l: Required<LifecycleOptions>, failWith: number | null, deps: LifecycleDeps): void {
  const steps = plannedStatuses(m, l, failWith);
  const announced = l.reorder ? shuffledOrder(steps) : steps;
  let previousAnnounced: Promise<void> = Promise.resolve();
  steps.forEach((status, i) => {
    let announcedNow!: () => void;
    const thisAnnounced = new Promise<void>((resolve) => (announcedNow = resolve));
    const afterPrevious = previousAnnounced;
    previousAnnounced = thisAnnounced;
    deps.scheduler.after(l.delayMs * (i + 1), async () => {
      try {
        advance(m, status, failWith, deps.whatsappFrom);
        const url = deps.statusCallbackUrl(m);
        const said = announced[i]!;
        // As the message is at this step, whatever it becomes while the previous callback is out.
        // With reorder, `failed` may be announced before the store reaches it: it still carries its code.
        const view = said === 'failed' && failWith ? { ...m, errorCode: failWith, errorMessage: failureText(failWith) } : { ...m };
        const params = url ? deps.callbackParams(view, said) : null;
        const token = randomUUID();
        await afterPrevious;
        // The callbacks leave first, exactly as without Event Streams; then the sinks' delivery.
        const callbacks = url && params ? Array.from({ length: l.duplicate ? 2 : 1 }, () => deps.post(url, params, token)) : [];
        await Promise.all([...callbacks, deps.emit(view, said)]);
      } finally {
        announcedNow();
      }
    });
  });
}
