import { getCountries, getCountryCallingCode, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/min';
import { useId, useMemo } from 'react';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { formatPhone } from '../i18n/format.ts';

/** Every country phone numbers are known for, by its name in the panel's language. */
function useCountryOptions(lang: string): { code: CountryCode; label: string }[] {
  return useMemo(() => {
    const names = new Intl.DisplayNames([lang], { type: 'region' });
    return getCountries()
      .map((code) => ({ code, label: `${names.of(code) ?? code} (+${getCountryCallingCode(code)})` }))
      .sort((a, b) => a.label.localeCompare(b.label, lang));
  }, [lang]);
}

/**
 * A country and a number as the person types it. The hint ("valid" and the number as WhatsApp
 * will get it, written as the list writes phones) is only a hint, from the small metadata: the
 * server reads the number and decides.
 */
export function PhoneField({ country, phone, onCountry, onPhone }: {
  country: string;
  phone: string;
  onCountry(country: string): void;
  onPhone(phone: string): void;
}) {
  const { t, lang } = useI18n();
  const countries = useCountryOptions(lang);
  const countryId = useId();
  const phoneId = useId();
  const hintId = useId();
  const typed = phone.trim();
  const parsed = typed ? parsePhoneNumberFromString(typed, country as CountryCode) : undefined;
  const valid = parsed?.isValid() === true;
  const countryName = countries.find((c) => c.code === country)?.label ?? country;

  return (
    <div className="phone-field">
      <div className="field phone-country">
        <label htmlFor={countryId}>{t('newChat.country')}</label>
        <select id={countryId} value={country} onChange={(e) => onCountry(e.target.value)} data-testid="new-chat-country">
          {countries.map((c) => <option key={c.code} value={c.code}>{c.label}</option>)}
        </select>
      </div>
      <div className="field phone-number">
        <label htmlFor={phoneId}>{t('newChat.phone')}</label>
        <input
          id={phoneId}
          type="tel"
          inputMode="tel"
          autoComplete="off"
          maxLength={40}
          value={phone}
          onChange={(e) => onPhone(e.target.value)}
          aria-describedby={hintId}
          aria-invalid={typed !== '' && !valid}
          data-testid="new-chat-phone"
        />
        <p id={hintId} className={`hint${typed && !valid ? ' hint-warning' : ''}`} aria-live="polite" data-testid="new-chat-phone-hint" data-valid={typed ? String(valid) : undefined}>
          {!typed ? t('newChat.phoneHint') : valid ? t('newChat.valid', { number: formatPhone(parsed!.number) }) : t('newChat.invalid', { country: countryName })}
        </p>
      </div>
    </div>
  );
}
