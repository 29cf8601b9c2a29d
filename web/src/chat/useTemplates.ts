import { useEffect, useState } from 'react';
import { api, type Template } from '../api/client.ts';

// Templates change rarely (each needs Meta's approval): one list per minute is plenty.
const TTL_MS = 60_000;
let cache: { at: number; items: Template[] } | null = null;
let inflight: Promise<Template[]> | null = null;

function loadTemplates(): Promise<Template[]> {
  if (cache && Date.now() - cache.at < TTL_MS) return Promise.resolve(cache.items);
  inflight ??= api.templates().then(
    (r) => {
      cache = { at: Date.now(), items: r.items };
      inflight = null;
      return r.items;
    },
    (err: unknown) => {
      inflight = null;
      throw err;
    },
  );
  return inflight;
}

export function useTemplates(): { templates: Template[] | null; error: unknown; reload(): void } {
  const [templates, setTemplates] = useState<Template[] | null>(cache?.items ?? null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    setError(null);
    loadTemplates().then(
      (items) => live && setTemplates(items),
      (err: unknown) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [attempt]);
  return { templates, error, reload: () => setAttempt((n) => n + 1) };
}

/** The template's variable names in order ("1", "2", ...): from its samples and its text. */
export function templateVariables(template: Template): string[] {
  const keys = new Set(Object.keys(template.variables));
  // Placeholders may sit anywhere: the text, a card's title, a media URL, a button's label or link.
  const texts = [template.body, template.title, template.subtitle, ...template.media, ...template.actions.flatMap((a) => [a.title, a.url])];
  for (const text of texts) for (const m of (text ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)) keys.add(m[1]!);
  return [...keys].sort((a, b) => (Number(a) - Number(b)) || a.localeCompare(b));
}

export type TemplatePart = { text: string } | { variable: string; value: string };

/** The template's text cut into literal text and variables, so the preview never parses HTML. */
export function templateParts(body: string, values: Record<string, string>): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of body.matchAll(/\{\{\s*(\w+)\s*\}\}/g)) {
    if (m.index > last) parts.push({ text: body.slice(last, m.index) });
    parts.push({ variable: m[1]!, value: values[m[1]!] ?? '' });
    last = m.index + m[0].length;
  }
  if (last < body.length) parts.push({ text: body.slice(last) });
  return parts;
}

export function renderTemplate(body: string, values: Record<string, string>): string {
  return templateParts(body, values).map((p) => ('text' in p ? p.text : p.value || `{{${p.variable}}}`)).join('');
}
