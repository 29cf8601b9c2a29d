/** Text as search compares it on the server (search_text): lower case, accents removed. */
const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

/**
 * Where `query` first occurs in `text`, accents and case ignored, as [start, end) in `text` (whose
 * accented letters may span two code units where the folded text has one); null when it does not.
 */
export function matchRange(text: string, query: string): [number, number] | null {
  const q = fold(query);
  if (!q) return null;
  let folded = '';
  // starts[i]: the position in `text` where folded character i came from.
  const starts: number[] = [];
  for (let i = 0; i < text.length; ) {
    const ch = String.fromCodePoint(text.codePointAt(i)!);
    for (const f of fold(ch)) {
      folded += f;
      starts.push(i);
    }
    i += ch.length;
  }
  const at = folded.indexOf(q);
  if (at === -1) return null;
  const endFolded = at + q.length;
  return [starts[at]!, endFolded < starts.length ? starts[endFolded]! : text.length];
}

/** A line of context around the match: up to `before` characters before it, cut at a word. */
export function snippet(text: string, range: [number, number] | null, before = 30): { head: string; match: string; tail: string } {
  if (!range) return { head: text, match: '', tail: '' };
  let from = Math.max(0, range[0] - before);
  if (from > 0) {
    const space = text.indexOf(' ', from);
    if (space !== -1 && space < range[0]) from = space + 1;
  }
  return { head: (from > 0 ? '…' : '') + text.slice(from, range[0]), match: text.slice(range[0], range[1]), tail: text.slice(range[1]) };
}
