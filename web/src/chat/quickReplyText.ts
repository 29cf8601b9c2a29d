import type { QuickReplyDto } from '../api/contract.ts';

// What the composer does with quick replies' text: find the `/query` being typed, match replies to
// it, and fill `{{nombre}}`. Plain functions, so the server's tests check them too.

const NAME = String.raw`\{\{\s*nombre\s*\}\}`;
// A placeholder that opens a line, with the punctuation after it ("{{nombre}}, bienvenido").
const LEADING_NAME = new RegExp(String.raw`(^|\n)[ \t]*${NAME}[ \t]*[,;:]?[ \t]*(\S?)`, 'gi');
// Any other, with the space before it ("Hola {{nombre}}, …").
const NAME_WITH_SPACE = new RegExp(String.raw`[ \t]*${NAME}`, 'gi');
const ANY_NAME = new RegExp(NAME, 'gi');

/**
 * The reply's text with `{{nombre}}` as the contact's name. Without a name the placeholder goes,
 * with its space ("Hola, atendemos…"), and never reaches the customer literally.
 */
export function fillQuickReply(body: string, name: string | null | undefined): string {
  const n = name?.trim();
  if (n) return body.replace(ANY_NAME, () => n);
  return body.replace(LEADING_NAME, (_m, lead: string, next: string) => lead + next.toUpperCase()).replace(NAME_WITH_SPACE, '');
}

/** The `/query` that ends at the caret, when its slash opens the text or follows whitespace. */
export function slashQueryAt(text: string, caret: number): { start: number; query: string } | null {
  const m = /(^|\s)\/([^\s/]*)$/.exec(text.slice(0, caret));
  return m ? { start: m.index + m[1]!.length, query: m[2]! } : null;
}

const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

/** The replies whose shortcut or text holds the query (accents and case aside): shortcut matches first. */
export function matchQuickReplies(items: readonly QuickReplyDto[], query: string): QuickReplyDto[] {
  const q = fold(query);
  if (!q) return [...items];
  const rank = (r: QuickReplyDto) => {
    const shortcut = fold(r.shortcut);
    return shortcut.startsWith(q) ? 0 : shortcut.includes(q) ? 1 : fold(r.body).includes(q) ? 2 : 3;
  };
  return items.map((r) => ({ r, rank: rank(r) })).filter((x) => x.rank < 3).sort((a, b) => a.rank - b.rank).map((x) => x.r);
}
