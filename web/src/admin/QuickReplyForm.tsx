import { useId, useState, type FormEvent } from 'react';
import type { QuickReplyDto, QuickReplyInputDto } from '../api/contract.ts';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { describeApiError } from '../i18n/format.ts';

/** The shortcut and text of a quick reply: a new one, or one being edited. */
export function QuickReplyForm({ initial, submitLabel, onSubmit, onCancel, testId }: {
  initial?: QuickReplyDto;
  submitLabel: string;
  /** Resolves when saved; a rejection is shown in the form, which keeps what was typed. */
  onSubmit(input: QuickReplyInputDto): Promise<unknown>;
  onCancel?(): void;
  testId: string;
}) {
  const { t, lang } = useI18n();
  const [shortcut, setShortcut] = useState(initial ? '/' + initial.shortcut : '');
  const [body, setBody] = useState(initial?.body ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const ids = { shortcut: useId(), body: useId(), shortcutHint: useId(), bodyHint: useId() };

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSubmit({ shortcut: shortcut.trim(), body: body.trim() });
      if (!initial) {
        setShortcut('');
        setBody('');
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="quick-reply-form" onSubmit={submit} data-testid={testId}>
      <div className="field">
        <label htmlFor={ids.shortcut}>{t('quickReplies.shortcut')}</label>
        <input
          id={ids.shortcut} required maxLength={33} value={shortcut} placeholder="/horario" autoComplete="off" spellCheck={false} aria-describedby={ids.shortcutHint}
          onChange={(e) => setShortcut(e.target.value)} data-testid={`${testId}-shortcut`}
        />
        <span className="hint" id={ids.shortcutHint}>{t('quickReplies.shortcutHint')}</span>
      </div>
      <div className="field">
        <label htmlFor={ids.body}>{t('quickReplies.body')}</label>
        <textarea
          id={ids.body} required maxLength={4096} rows={3} value={body} aria-describedby={ids.bodyHint}
          onChange={(e) => setBody(e.target.value)} data-testid={`${testId}-body`}
        />
        <span className="hint" id={ids.bodyHint}>{t('quickReplies.bodyHint')}</span>
      </div>
      {error !== null && <p className="form-error" role="alert" data-testid={`${testId}-error`}>{describeApiError(error, lang, t)}</p>}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy} data-testid={`${testId}-submit`}>{submitLabel}</button>
        {onCancel && <button type="button" className="secondary" onClick={onCancel}>{t('cancel')}</button>}
      </div>
    </form>
  );
}
