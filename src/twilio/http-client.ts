import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';

/** twilio.com and every *.twilio.com host: api, content, messaging, and the regional/edge ones. */
const isTwilioHost = (hostname: string) => hostname === 'twilio.com' || hostname.endsWith('.twilio.com');

/**
 * twilio-node has no base-URL option; its supported seam is the `httpClient` client option. This
 * is the library's own RequestClient with one change: the origin of every *.twilio.com URI is
 * rewritten to `apiUrl`, path and query kept. Paging goes through `request()` as well (v2010's
 * relative `next_page_uri` becomes https://api.twilio.com/...; v1/v2's `meta.next_page_url` is
 * already absolute), so every page reaches the local Twilio too.
 *
 * A subclass rather than a look-alike object: twilio's types want a RequestClient, and
 * `lastRequest`/`lastResponse` keep working.
 *
 * Note: when `httpClient` is given, twilio ignores its own `timeout`/`autoRetry` client options
 * (they only configure the RequestClient it would have built), so pass them here instead.
 */
export function createLocalRedirectingHttpClient(apiUrl: string, options?: RequestClient.RequestClientOptions) {
  const target = new URL(apiUrl);

  class LocalRedirectingRequestClient extends twilio.RequestClient {
    override request<TData>(opts: RequestClient.RequestOptions<TData>) {
      const uri = new URL(opts.uri);
      if (isTwilioHost(uri.hostname)) {
        uri.protocol = target.protocol;
        uri.host = target.host;
      }
      return super.request<TData>({ ...opts, uri: uri.toString() });
    }
  }

  return new LocalRedirectingRequestClient(options);
}
