import { useEffect, useId, useRef, useState, type KeyboardEvent, type RefObject } from 'react';
import type { QuickReplyDto } from '../api/contract.ts';
import { useQuickReplies } from '../quickReplies/useQuickReplies.ts';
import { fillQuickReply, matchQuickReplies, slashQueryAt } from './quickReplyText.ts';

export interface QuickReplyPicker {
  /** The list is showing (a `/query` is at the caret and the team has quick replies). */
  open: boolean;
  matches: QuickReplyDto[];
  active: number;
  listId: string;
  optionId(index: number): string;
  /** Call from the textarea's keydown first: true when the picker used the key. */
  keyDown(e: KeyboardEvent<HTMLTextAreaElement>): boolean;
  /** Call on every change of text or caret. */
  track(): void;
  choose(reply: QuickReplyDto): void;
  fill(body: string): string;
}

/**
 * `/` at the start of the text or after a space opens the team's quick replies, filtered by what
 * follows it; the chosen one replaces the `/query` with its text, `{{nombre}}` filled with the
 * contact's name, and the agent edits and sends it as any text.
 */
export function useQuickReplyPicker(o: {
  text: string;
  setText(value: string): void;
  input: RefObject<HTMLTextAreaElement | null>;
  contactName: string | null;
}): QuickReplyPicker {
  const { items } = useQuickReplies();
  const [slash, setSlash] = useState<{ start: number; query: string; caret: number } | null>(null);
  // Escape closes the list for this `/` (typing a new one opens it again).
  const [dismissedAt, setDismissedAt] = useState<number | null>(null);
  const [active, setActive] = useState(0);
  const caretAfter = useRef<number | null>(null);
  const listId = useId();

  const matches = slash && items ? matchQuickReplies(items, slash.query) : [];
  const open = Boolean(slash && items?.length && dismissedAt !== slash.start);

  // The caret goes to the end of the inserted text once React has put it in the textarea.
  useEffect(() => {
    const el = o.input.current;
    if (caretAfter.current === null || !el) return;
    el.focus();
    el.setSelectionRange(caretAfter.current, caretAfter.current);
    caretAfter.current = null;
  }, [o.text, o.input]);

  function track() {
    const el = o.input.current;
    if (!el) return;
    const caret = el.selectionStart === el.selectionEnd ? el.selectionStart : null;
    const found = caret === null ? null : slashQueryAt(el.value, caret);
    if (!found) return setSlash(null);
    if (slash?.start !== found.start || slash.query !== found.query) setActive(0);
    if (slash?.start !== found.start) setDismissedAt(null);
    setSlash({ ...found, caret: caret! });
  }

  const fill = (body: string) => fillQuickReply(body, o.contactName);

  function choose(reply: QuickReplyDto) {
    if (!slash) return;
    const filled = fill(reply.body);
    caretAfter.current = slash.start + filled.length;
    o.setText(o.text.slice(0, slash.start) + filled + o.text.slice(slash.caret));
    setSlash(null);
  }

  function keyDown(e: KeyboardEvent<HTMLTextAreaElement>): boolean {
    if (!open || e.nativeEvent.isComposing) return false;
    if (e.key === 'Escape') {
      setDismissedAt(slash!.start);
      return true;
    }
    if (!matches.length) return false;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      const step = e.key === 'ArrowDown' ? 1 : -1;
      setActive((i) => (i + step + matches.length) % matches.length);
      return true;
    }
    if ((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab') {
      choose(matches[Math.min(active, matches.length - 1)]!);
      return true;
    }
    return false;
  }

  return {
    open, matches, active: Math.min(active, Math.max(matches.length - 1, 0)), listId,
    optionId: (i) => `${listId}-${i}`,
    keyDown, track, choose, fill,
  };
}
