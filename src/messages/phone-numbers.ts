import { getCountryCallingCode, isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { DomainError } from './errors.ts';

// The one place a typed phone number becomes the E.164 we store and send to. The `max` metadata
// knows each country's number ranges, so a number WhatsApp cannot reach is refused here, before a
// contact is made for it; the panel only hints with the smaller `min` set.

export class InvalidPhoneError extends DomainError {
  constructor(message: string, messageEs: string) {
    super('validation', message, messageEs);
  }
}

/** Whether `code` is an ISO 3166 alpha-2 country that phone numbers are known for (CO, MX, US...). */
export function isPhoneCountry(code: string): code is CountryCode {
  return isSupportedCountry(code);
}

function countryNames(code: string): { en: string; es: string } {
  const name = (lang: string) => new Intl.DisplayNames([lang], { type: 'region' }).of(code) ?? code;
  return { en: name('en'), es: name('es') };
}

/**
 * A customer's number as typed (`315 336 9631`, `+57 315 336 9631`, `573153369631`) → E.164
 * (`+573153369631`). Without a `+` it is read in `defaultCountry`, unless it already starts with
 * that country's calling code and is a valid number that way. Throws InvalidPhoneError (400).
 */
export function parseCustomerPhone(input: string, defaultCountry: string): string {
  const country = defaultCountry.toUpperCase();
  if (!isPhoneCountry(country)) {
    throw new InvalidPhoneError(`Unknown country code ${JSON.stringify(defaultCountry)}`, `Código de país desconocido ${JSON.stringify(defaultCountry)}`);
  }
  const typed = input.trim();
  const digits = typed.replace(/[\s().\-/]/g, '');
  let parsed = null;
  if (!typed.startsWith('+') && digits.startsWith(getCountryCallingCode(country))) {
    const international = parsePhoneNumberFromString('+' + digits);
    if (international?.isValid()) parsed = international;
  }
  parsed ??= parsePhoneNumberFromString(typed, country);
  if (!parsed?.isValid()) {
    const where = countryNames(country);
    const shown = typed.slice(0, 40);
    throw new InvalidPhoneError(
      typed.startsWith('+') ? `${shown} is not a valid phone number` : `${shown} is not a valid phone number in ${where.en} (add + and the country code for another country)`,
      typed.startsWith('+') ? `${shown} no es un número de teléfono válido` : `${shown} no es un número de teléfono válido en ${where.es} (para otro país, escríbalo con + y su código)`,
    );
  }
  return parsed.number;
}
