import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { dictionaries, LANGS, type Lang, type MessageKey } from './strings.ts';

const STORAGE_KEY = 'wa-inbox.lang';

/** Keys with a singular and a plural form (`key_one`, `key_other`). */
export type CountedKey = MessageKey extends infer K ? (K extends `${infer Base}_one` ? Base : never) : never;

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

export interface I18n {
  lang: Lang;
  /** BCP 47 locale for dates and numbers: Colombian Spanish by default. */
  locale: string;
  setLang(lang: Lang): void;
  t: Translate;
  /** Picks `key_one` or `key_other` for n. */
  tn(key: CountedKey, n: number): string;
}

function storedLang(): Lang {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return LANGS.includes(v as Lang) ? (v as Lang) : 'es';
  } catch {
    return 'es';
  }
}

export function interpolate(text: string, vars?: Record<string, string | number>): string {
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(storedLang);
  const setLang = useCallback((l: Lang) => {
    setLangState(l);
    try {
      localStorage.setItem(STORAGE_KEY, l);
    } catch {
      /* private mode: the choice lasts for this page only */
    }
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);

  const value = useMemo<I18n>(() => {
    const dict = dictionaries[lang];
    const t: Translate = (key, vars) => interpolate(dict[key], vars);
    return {
      lang,
      locale: lang === 'es' ? 'es-CO' : 'en-US',
      setLang,
      t,
      tn: (key, n) => t(`${key}_${n === 1 ? 'one' : 'other'}`, { n }),
    };
  }, [lang, setLang]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const ctx = useContext(I18nContext);
  if (!ctx) throw new Error('useI18n outside <I18nProvider>');
  return ctx;
}
