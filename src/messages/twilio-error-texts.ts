import { describeTwilioError as describe } from '../realtime/twilio-error-texts.ts';

/** A Twilio error in both languages, for API answers (the panel uses the same table). */
export function describeTwilioError(code: number | null, fallback: string): { en: string; es: string } {
  return { en: describe(code, fallback, 'en')!, es: describe(code, `Twilio: ${fallback}`, 'es')! };
}
