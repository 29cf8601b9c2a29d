import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';

/** twilio.com and every *.twilio.com host: api, content, messaging, and the regional/edge ones. */
const isTwilioHost = (hostname: string) => hostname === 'twilio.com' || hostname.endsWith('.twilio.com');

/** `uri` with the origin of `target` when it is Twilio's; path and query kept. */
function redirected(uri: string, target: URL | null): string {
  const u = new URL(uri);
  if (!target || !isTwilioHost(u.hostname)) return uri;
  u.protocol = target.protocol;
  u.host = target.host;
  return u.toString();
}

/** Twilio said 429: it did not do the work, so asking again is safe. At most this many more times. */
const RATE_LIMIT_RETRIES = 2;
/** A Retry-After longer than this is not waited for: the caller hears "try again in a moment" at once. */
const MAX_RETRY_WAIT_MS = 3_000;

/**
 * Seconds (or an HTTP date) from Retry-After, in ms; without the header, a short backoff with
 * jitter: about 250 ms, then 500 ms.
 */
export function rateLimitWaitMs(retryAfter: unknown, retry: number, now = Date.now()): number {
  const value = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter;
  if (typeof value === 'string' && value.trim() !== '') {
    if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
    const at = Date.parse(value);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  return Math.round(250 * 2 ** retry * (0.5 + Math.random() / 2));
}

/** An error shaped like the HTTP stack's own timeouts, so callers classify both alike. */
export class TwilioDeadlineError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`Twilio did not answer within ${ms} ms`);
    this.name = 'TwilioDeadlineError';
  }
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new TwilioDeadlineError(ms)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * The HTTP client the gateway gives twilio-node, for the real Twilio and the local one alike:
 * - every call ends within `timeoutMs`, retries included. The library's own timeout is a socket
 *   idle timeout (an answer that trickles in never trips it), so a deadline backs it up;
 * - a 429 is asked again, at most twice, after Retry-After when Twilio sends one (up to 3 s) or a
 *   short backoff, and only while the deadline leaves room; otherwise the 429 goes to the caller;
 * - with `apiUrl`, the origin of every *.twilio.com URI is rewritten to it (the local Twilio), path
 *   and query kept. twilio-node has no base-URL option; `httpClient` is its supported seam. Paging
 *   goes through `request()` as well (v2010's relative `next_page_uri` becomes
 *   https://api.twilio.com/...; v1/v2's `meta.next_page_url` is already absolute), so every page
 *   reaches the local Twilio too.
 *
 * A subclass of the library's own RequestClient rather than a look-alike object: twilio's types
 * want a RequestClient, and `lastRequest`/`lastResponse` keep working. When `httpClient` is given,
 * twilio ignores its own `timeout`/`autoRetry` client options, which is why this client carries both.
 */
export function createTwilioHttpClient(o: { apiUrl: string | null; timeoutMs: number; rateLimitRetries?: number }) {
  const retries = o.rateLimitRetries ?? RATE_LIMIT_RETRIES;
  const target = o.apiUrl ? new URL(o.apiUrl) : null;

  class TwilioHttpClient extends twilio.RequestClient {
    override async request<TData>(opts: RequestClient.RequestOptions<TData>) {
      const uri = redirected(opts.uri, target);
      const deadline = Date.now() + o.timeoutMs;
      for (let retry = 0; ; retry++) {
        const left = Math.max(1, deadline - Date.now());
        const res = await withDeadline(super.request<TData>({ ...opts, uri, timeout: left }), left);
        if (res.statusCode !== 429 || retry >= retries) return res;
        const wait = rateLimitWaitMs((res.headers as Record<string, unknown> | undefined)?.['retry-after'], retry);
        if (wait > MAX_RETRY_WAIT_MS || Date.now() + wait >= deadline) return res;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  return new TwilioHttpClient({ timeout: o.timeoutMs });
}
