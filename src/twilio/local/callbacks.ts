import { createHash, randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import twilio from 'twilio';

// Twilio's side of a webhook: a signed, form-encoded POST. Used for status callbacks and for
// inbound messages alike.

export interface CallbackLog {
  url: string;
  params: Record<string, string>;
  /** HTTP status our server answered; null when no answer came. */
  status: number | null;
  error: string | null;
  /** 1, or 2 when Twilio's single retry was needed. */
  attempts: number;
  at: Date;
}

/** Twilio gives the connection 5 s and the whole request 15 s. */
const CONNECT_TIMEOUT_MS = 5_000;
const TOTAL_TIMEOUT_MS = 15_000;
const LOG_LIMIT = 10_000;

class ConnectionFailure extends Error {}

/**
 * One attempt. Node's http rather than fetch: we need to tell "could not connect" (Twilio retries
 * once) from "connected, then no answer in time" (Twilio gives up), and to send exactly Twilio's
 * headers.
 */
function postOnce(url: URL, form: string, headers: Record<string, string>, agents: WebhookAgents, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(url, {
      method: 'POST',
      agent: url.protocol === 'https:' ? agents.https : agents.http,
      headers: { ...headers, 'Content-Length': Buffer.byteLength(form) },
      signal,
    });
    let connected = false;
    const total = setTimeout(() => req.destroy(new Error(`no answer within ${TOTAL_TIMEOUT_MS} ms`)), TOTAL_TIMEOUT_MS);
    const connect = setTimeout(() => connected || req.destroy(new ConnectionFailure(`could not connect within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
    total.unref();
    connect.unref();
    const settle = () => {
      clearTimeout(total);
      clearTimeout(connect);
    };
    req.on('socket', (socket) => {
      if (!socket.connecting) connected = true;
      else socket.once('connect', () => (connected = true));
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => {
        settle();
        resolve(res.statusCode ?? 0);
      });
      res.on('error', (err) => {
        settle();
        reject(err);
      });
    });
    req.on('error', (err) => {
      settle();
      // A kept-alive socket the server closed meanwhile resets at once: a connection failure too.
      const staleSocket = req.reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET';
      reject(!connected || staleSocket ? new ConnectionFailure(err.message) : err);
    });
    req.end(form);
  });
}

export interface WebhookAgents {
  http: http.Agent;
  https: https.Agent;
}

/**
 * Sends signed form posts the way Twilio does and keeps a log of every delivery. `close()` aborts
 * requests in flight, so the local Twilio can stop at once.
 */
export class WebhookSender {
  private readonly log: CallbackLog[] = [];
  private readonly abort = new AbortController();
  private readonly agents: WebhookAgents = {
    http: new http.Agent({ keepAlive: true, maxSockets: 64 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 64 }),
  };

  constructor(private readonly authToken: string, private readonly logger?: { warn(...a: unknown[]): void }) {
    // Every post in flight listens on this one signal (a campaign has hundreds at once); each
    // request removes its listener when it ends, so no limit is needed and no warning is due.
    setMaxListeners(0, this.abort.signal);
  }

  /**
   * Posts `params` to `url`, signed with X-Twilio-Signature over the URL and the sorted params.
   * On a connection failure it retries once (Twilio's default), then gives up and records it.
   * `idempotencyToken`: the same for redeliveries of one event, as Twilio does.
   */
  async post(url: string, params: Record<string, string>, idempotencyToken: string = randomUUID()): Promise<number | null> {
    // A fragment (Twilio's #rc=..&rp=.. connection overrides, not honoured here) never reaches
    // the server, so it cannot be part of what the server verifies.
    const signedUrl = url.split('#')[0]!;
    const headers = {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Twilio-Signature': twilio.getExpectedTwilioSignature(this.authToken, signedUrl, params),
      'I-Twilio-Idempotency-Token': idempotencyToken,
    };
    return this.deliver(url, new URL(signedUrl), new URLSearchParams(params).toString(), headers, params);
  }

  /**
   * Posts a JSON body as Event Streams' webhook sink does: the body's SHA-256 (hex) is added to the
   * URL as `bodySHA256` and that URL alone is signed, so the signature covers the body. Credentials
   * in the URL (user:password@) are sent as basic auth and are not part of the signed URL.
   */
  async postJson(url: string, body: string, logParams: Record<string, string>, idempotencyToken: string = randomUUID()): Promise<number | null> {
    const target = new URL(url.split('#')[0]!);
    const credentials = target.username ? `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}` : null;
    target.username = '';
    target.password = '';
    target.searchParams.append('bodySHA256', createHash('sha256').update(body, 'utf8').digest('hex'));
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'X-Twilio-Signature': twilio.getExpectedTwilioSignature(this.authToken, target.href, {}),
      'I-Twilio-Idempotency-Token': idempotencyToken,
      ...(credentials ? { Authorization: `Basic ${Buffer.from(credentials).toString('base64')}` } : {}),
    };
    return this.deliver(url, target, body, headers, logParams);
  }

  /** One delivery: retried once on a connection failure (Twilio's default), then recorded. */
  private async deliver(url: string, target: URL, payload: string, own: Record<string, string>, params: Record<string, string>): Promise<number | null> {
    const headers = { ...own, 'User-Agent': 'TwilioProxy/1.1', Accept: '*/*', 'Cache-Control': 'max-age=259200', 'X-Home-Region': 'us1' };
    let attempts = 0;
    let error: Error | null = null;
    while (attempts < 2 && !this.abort.signal.aborted) {
      attempts++;
      try {
        const status = await postOnce(target, payload, headers, this.agents, this.abort.signal);
        this.remember({ url, params, status, error: null, attempts, at: new Date() });
        return status;
      } catch (err) {
        error = err as Error;
        if (!(err instanceof ConnectionFailure)) break;
      }
    }
    this.logger?.warn({ url, messageSid: params.MessageSid, err: error?.message }, 'local twilio: webhook not delivered');
    this.remember({ url, params, status: null, error: error?.message ?? 'aborted', attempts, at: new Date() });
    return null;
  }

  deliveries(): CallbackLog[] {
    return [...this.log];
  }

  close(): void {
    this.abort.abort();
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private remember(entry: CallbackLog) {
    this.log.push(entry);
    if (this.log.length > LOG_LIMIT) this.log.splice(0, this.log.length - LOG_LIMIT);
  }
}
