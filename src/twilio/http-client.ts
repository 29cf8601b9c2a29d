import twilio from 'twilio';

/**
 * twilio-node has no base-URL option; its supported seam is `httpClient`. This one wraps the
 * library's own RequestClient and rewrites the origin of every *.twilio.com URI (paging URLs
 * included) to `apiUrl`, so the real library's real requests reach a local Twilio.
 */
export function createLocalRedirectingHttpClient(apiUrl: string) {
  const inner = new twilio.RequestClient();
  const target = new URL(apiUrl);
  return {
    request(opts: { uri: string } & Record<string, unknown>) {
      const u = new URL(opts.uri);
      if (u.hostname === 'twilio.com' || u.hostname.endsWith('.twilio.com')) {
        u.protocol = target.protocol;
        u.host = target.host;
      }
      return inner.request({ ...opts, uri: u.toString() } as never);
    },
  };
}
