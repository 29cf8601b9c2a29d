import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseByteRange } from '../../http/byte-range.ts';
import { badRequest, notFound, TwilioApiError } from './twilio-errors.ts';

// The local Twilio's HTTP plumbing: a route table, the request's body as Twilio APIs take it
// (forms, or JSON for v2 Senders), basic auth, and answers in Twilio's shapes.

export interface RouteRequest {
  method: string;
  path: string;
  /** The pattern's capture groups. */
  params: string[];
  query: URLSearchParams;
  /** application/x-www-form-urlencoded body (twilio-node repeats keys for arrays). */
  form(): URLSearchParams;
  /** application/json body; {} when empty or null. */
  json(): Record<string, unknown>;
}

export type RouteAnswer = { status?: number; json: unknown } | { status?: number; bytes: Buffer; contentType: string };

export interface Route {
  method: 'GET' | 'POST' | 'PUT';
  pattern: RegExp;
  handle(r: RouteRequest): RouteAnswer | Promise<RouteAnswer>;
}

const BODY_LIMIT = 1_000_000;

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT) throw new TwilioApiError(413, 20001, 'Request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** HTTP basic auth with AccountSid:AuthToken, compared in constant time. */
export function hasAccountCredentials(req: IncomingMessage, accountSid: string, authToken: string): boolean {
  const header = req.headers.authorization ?? '';
  if (!header.startsWith('Basic ')) return false;
  const given = Buffer.from(Buffer.from(header.slice(6), 'base64').toString('utf8'));
  const expected = Buffer.from(`${accountSid}:${authToken}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** `range`: the request's Range header; files answer it as Twilio's media CDN does (206, 416). */
export function answer(res: ServerResponse, a: RouteAnswer, range?: string): void {
  if (res.headersSent) return;
  res.statusCode = a.status ?? 200;
  if ('bytes' in a) {
    res.setHeader('Content-Type', a.contentType);
    res.setHeader('Accept-Ranges', 'bytes');
    const asked = res.statusCode === 200 ? parseByteRange(range, a.bytes.length) : null;
    if (asked === 'unsatisfiable') {
      res.statusCode = 416;
      res.setHeader('Content-Range', `bytes */${a.bytes.length}`);
      res.end();
      return;
    }
    const bytes = asked ? a.bytes.subarray(asked.start, asked.end + 1) : a.bytes;
    if (asked) {
      res.statusCode = 206;
      res.setHeader('Content-Range', `bytes ${asked.start}-${asked.end}/${a.bytes.length}`);
    }
    res.setHeader('Content-Length', bytes.length);
    res.end(bytes);
    return;
  }
  const text = JSON.stringify(a.json);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

export const errorAnswer = (err: TwilioApiError): RouteAnswer => ({ status: err.status, json: err.body });

/** Finds the route for the request and runs it; unknown paths get Twilio's 404. `body`: already read from `req`. */
export async function dispatch(routes: readonly Route[], req: IncomingMessage, url: URL, body?: string): Promise<RouteAnswer> {
  const method = req.method ?? 'GET';
  let match: RegExpMatchArray | null = null;
  const route = routes.find((r) => r.method === method && (match = url.pathname.match(r.pattern)) !== null);
  if (!route || !match) {
    if (routes.some((r) => r.pattern.test(url.pathname))) throw new TwilioApiError(405, 20004, 'Method not allowed');
    throw notFound(url.pathname);
  }
  const raw = body ?? (method === 'GET' ? '' : await readBody(req));
  return route.handle({
    method,
    path: url.pathname,
    params: (match as RegExpMatchArray).slice(1),
    query: url.searchParams,
    form: () => new URLSearchParams(raw),
    json: () => {
      if (!raw.trim()) return {};
      try {
        const parsed: unknown = JSON.parse(raw);
        if (parsed === null) return {};
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
      } catch {
        // answered below
      }
      throw badRequest(20001, 'The request body must be a JSON object');
    },
  });
}
