import { useCallback, useEffect, useState } from 'react';
import { api } from '../api/client.ts';
import type { AuditEntryDto, UserDto } from '../api/contract.ts';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { describeApiError } from '../i18n/format.ts';
import { AuditRow } from './AuditRow.tsx';

/** Admins only: who sent which message, who changed which user or setting; newest first, a page at a time. */
export function AuditPage({ me }: { me: UserDto }) {
  const { t, lang } = useI18n();
  const [page, setPage] = useState<{ items: AuditEntryDto[]; nextCursor: string | null } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  /** The first page (cursor null), or the next older one appended to what is shown. */
  const load = useCallback(async (cursor: string | null) => {
    setBusy(true);
    setError(null);
    try {
      const r = await api.audit({ cursor });
      setPage((p) => ({ items: cursor && p ? [...p.items, ...r.items] : r.items, nextCursor: r.nextCursor }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }, []);
  useEffect(() => {
    if (me.role === 'admin') void load(null);
  }, [me.role, load]);

  if (me.role !== 'admin') {
    return (
      <main className="page" data-testid="audit-page">
        <p className="form-error" role="alert" data-testid="audit-forbidden">{t('audit.adminOnly')}</p>
      </main>
    );
  }

  return (
    <main className="page" data-testid="audit-page">
      <h1>{t('audit.title')}</h1>
      <p className="muted">{t('audit.intro')}</p>
      {page === null && error === null && <p role="status">{t('loading')}</p>}
      {page !== null && page.items.length === 0 && <p className="card muted" data-testid="audit-empty">{t('audit.empty')}</p>}
      {page !== null && page.items.length > 0 && (
        <div className="table-wrap audit-wrap">
          <table className="audit-table" data-testid="audit-table">
            <thead>
              <tr>
                <th scope="col">{t('audit.when')}</th>
                <th scope="col">{t('audit.who')}</th>
                <th scope="col">{t('audit.action')}</th>
                <th scope="col">{t('audit.target')}</th>
                <th scope="col">{t('audit.details')}</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((e) => (
                <AuditRow key={e.id} entry={e} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {error !== null && (
        <div className="audit-error">
          <p className="form-error" role="alert" data-testid="audit-error">{describeApiError(error, lang, t)}</p>
          <button type="button" className="secondary" disabled={busy} onClick={() => void load(page?.nextCursor ?? null)}>{t('retry')}</button>
        </div>
      )}
      {page?.nextCursor && error === null && (
        <button type="button" className="secondary audit-more" disabled={busy} onClick={() => void load(page.nextCursor)} data-testid="audit-load-more">
          {busy ? t('audit.loadingMore') : t('audit.loadMore')}
        </button>
      )}
      {page !== null && page.items.length > 0 && page.nextCursor === null && <p className="muted audit-end" data-testid="audit-end">{t('audit.end')}</p>}
    </main>
  );
}
