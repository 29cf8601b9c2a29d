import { useId } from 'react';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { LANGS, type Lang } from '../i18n/strings.ts';

export function LanguageSelect() {
  const { t, lang, setLang } = useI18n();
  const id = useId();
  return (
    <span className="language-select">
      <label htmlFor={id} className="visually-hidden">{t('language')}</label>
      <select id={id} value={lang} onChange={(e) => setLang(e.target.value as Lang)} data-testid="language-select">
        {LANGS.map((l) => (
          <option key={l} value={l}>{t(`language.${l}`)}</option>
        ))}
      </select>
    </span>
  );
}
