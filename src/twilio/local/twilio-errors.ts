// Twilio's error answers and failure texts. The REST API answers errors as
// { code, message, more_info, status }; twilio-node turns that into a RestException with
// `.status` and `.code`, which is what our gateway reads.

export interface TwilioErrorBody {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

/** Thrown by a route: the server answers `status` with Twilio's JSON error body. */
export class TwilioApiError extends Error {
  readonly body: TwilioErrorBody;

  constructor(readonly status: number, code: number, message: string) {
    super(message);
    this.body = { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
  }
}

export const badRequest = (code: number, message: string) => new TwilioApiError(400, code, message);

export const notFound = (path: string) => new TwilioApiError(404, 20404, `The requested resource ${path} was not found`);

export const unauthenticated = () => new TwilioApiError(401, 20003, 'Authenticate');

/** What injectFault answers: 429 is Twilio's "Too Many Requests" (20429), 503 its "Service Unavailable" (20503), anything else a 20500. */
export const injectedFailure = (status: number) =>
  status === 429
    ? new TwilioApiError(429, 20429, 'Too Many Requests')
    : status === 503
      ? new TwilioApiError(503, 20503, 'Service Unavailable')
      : new TwilioApiError(status, 20500, 'An internal server error has occurred');

/**
 * The error_message Twilio stores on a message that failed with a WhatsApp error code (also sent
 * as ChannelStatusMessage in the callback). Unknown codes get a generic text.
 */
const WHATSAPP_FAILURES: Record<number, string> = {
  63003: 'Channel could not find To address',
  63007: 'Twilio could not find a Channel with the specified From address',
  63014: 'Channel message delivery failed: the user has blocked messages from this business',
  63016: 'Failed to send freeform message because you are outside the allowed window. If you are using WhatsApp, please use a Message Template.',
  63019: 'Media failed to download',
  11200: 'HTTP retrieval failure',
  63024: 'Invalid message recipient',
  63032: 'User\'s number is part of an experiment',
  63049: 'Meta chose not to deliver this WhatsApp marketing message',
  30008: 'Unknown error',
};

export const failureText = (code: number) => WHATSAPP_FAILURES[code] ?? `Message failed with error ${code}`;
