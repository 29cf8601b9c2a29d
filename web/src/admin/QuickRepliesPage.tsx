import { useState } from 'react';
import type { QuickReplyDto, UserDto } from '../api/contract.ts';
import { Dialog } from '../components/Dialog.tsx';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { describeApiError } from '../i18n/format.ts';
import { useQuickReplies } from '../quickReplies/useQuickReplies.ts';
import { QuickReplyForm } from './QuickReplyForm.tsx';

/** Admins only: the team's quick replies (add, edit, delete), live as other admins change them. */
export function QuickRepliesPage({ me }: { me: UserDto }) {
  const { t, lang } = useI18n();
  const { items, error, store } = useQuickReplies();
  const [notice, setNotice] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<QuickReplyDto | null>(null);

  if (me.role !== 'admin') {
    return (
      <main className="page" data-testid="quick-replies-page">
        <p className="form-error" role="alert">{t('quickReplies.adminOnly')}</p>
      </main>
    );
  }

  return (
    <main className="page" data-testid="quick-replies-page">
      <h1>{t('quickReplies.title')}</h1>
      <p className="muted">{t('quickReplies.intro')}</p>
      <p className="notice" role="status" data-testid="quick-replies-notice">{notice}</p>
      {error !== null && <p className="form-error" role="alert">{describeApiError(error, lang, t)}</p>}
      {items === null && error === null && <p>{t('loading')}</p>}
      {items?.length === 0 && <p className="muted" data-testid="quick-replies-empty">{t('quickReplies.empty')}</p>}
      {items !== null && items.length > 0 && (
        <ul className="quick-reply-cards" aria-label={t('quickReplies.title')}>
          {items.map((r) => (
            <li key={r.id} className="card quick-reply-card" data-testid="quick-reply-item" data-shortcut={r.shortcut}>
              {editing === r.id ? (
                <QuickReplyForm
                  initial={r}
                  submitLabel={t('save')}
                  testId="quick-reply-edit"
                  onCancel={() => setEditing(null)}
                  onSubmit={async (input) => {
                    const saved = await store.update(r.id, input);
                    setEditing(null);
                    setNotice(t('quickReplies.saved', { shortcut: saved.shortcut }));
                  }}
                />
              ) : (
                <>
                  <p className="quick-reply-card-shortcut">/{r.shortcut}</p>
                  <p className="quick-reply-card-body">{r.body}</p>
                  <div className="form-actions">
                    <button type="button" className="secondary" onClick={() => setEditing(r.id)} aria-label={t('quickReplies.editLabel', { shortcut: r.shortcut })} data-testid="quick-reply-edit-button">
                      {t('quickReplies.edit')}
                    </button>
                    <button type="button" className="secondary" onClick={() => setDeleting(r)} aria-label={t('quickReplies.deleteLabel', { shortcut: r.shortcut })} data-testid="quick-reply-delete-button">
                      {t('quickReplies.delete')}
                    </button>
                  </div>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      <section className="card" aria-labelledby="quick-reply-add-h">
        <h2 id="quick-reply-add-h">{t('quickReplies.add')}</h2>
        <QuickReplyForm
          submitLabel={t('quickReplies.create')}
          testId="quick-reply-add"
          onSubmit={async (input) => {
            const created = await store.create(input);
            setNotice(t('quickReplies.created', { shortcut: created.shortcut }));
          }}
        />
      </section>
      {deleting && (
        <ConfirmDelete
          reply={deleting}
          onClose={() => setDeleting(null)}
          onDeleted={() => {
            setNotice(t('quickReplies.deleted', { shortcut: deleting.shortcut }));
            setDeleting(null);
          }}
        />
      )}
    </main>
  );
}

function ConfirmDelete({ reply, onClose, onDeleted }: { reply: QuickReplyDto; onClose(): void; onDeleted(): void }) {
  const { t, lang } = useI18n();
  const { store } = useQuickReplies();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await store.remove(reply.id);
      onDeleted();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }
  return (
    <Dialog title={t('quickReplies.deleteLabel', { shortcut: reply.shortcut })} onClose={onClose} testId="quick-reply-delete-dialog">
      <p>{t('quickReplies.confirmDelete', { shortcut: reply.shortcut })}</p>
      {error !== null && <p className="form-error" role="alert">{describeApiError(error, lang, t)}</p>}
      <div className="form-actions">
        <button type="button" className="primary" onClick={() => void confirm()} disabled={busy} data-testid="quick-reply-delete-confirm">{t('quickReplies.delete')}</button>
        <button type="button" className="secondary" onClick={onClose}>{t('cancel')}</button>
      </div>
    </Dialog>
  );
}
