import { TwilioRequestError, type TwilioGateway } from '../twilio/gateway.ts';
import { storedMediaItems, type StoredMediaItem } from './media-items.ts';

/**
 * A captured message's media as Twilio lists it (its Media subresource), checked and shaped as an
 * inbound webhook's media is stored, so the same proxy serves both. Twilio not knowing the message
 * (404) means no media; any other failure is thrown, to be asked again later.
 */
export async function listedMedia(twilio: TwilioGateway, messageSid: string): Promise<StoredMediaItem[]> {
  try {
    return storedMediaItems(await twilio.listMedia(messageSid), (url) => twilio.isTwilioMediaUrl(url));
  } catch (err) {
    if (err instanceof TwilioRequestError && err.status === 404) return [];
    throw err;
  }
}
