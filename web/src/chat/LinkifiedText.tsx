import type { ReactNode } from 'react';

// http(s) URLs only, up to whitespace; `javascript:`, `data:` and the like stay plain text.
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+/gi;
// Punctuation that ends a sentence rather than the URL ("vea https://x.co/a.").
const TRAILING = /[.,;:!?)\]}]+$/;

/**
 * Message text with its web links clickable. Built from React elements (text nodes and <a>), never
 * HTML, so whatever the text holds is shown, not run; each link opens in a new tab that cannot
 * reach back into the panel (noopener) nor learn where it came from (noreferrer).
 */
export function LinkifiedText({ text }: { text: string }) {
  const parts: ReactNode[] = [];
  let from = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = match[0].replace(TRAILING, '');
    const at = match.index;
    if (!isWebUrl(url)) continue;
    if (at > from) parts.push(text.slice(from, at));
    parts.push(
      <a key={at} href={url} target="_blank" rel="noopener noreferrer" data-testid="message-link">
        {url}
      </a>,
    );
    from = at + url.length;
  }
  if (from < text.length) parts.push(text.slice(from));
  return <>{parts}</>;
}

function isWebUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
