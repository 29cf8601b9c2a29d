import { useId, useState } from 'react';
import type { SenderDto } from '../api/contract.ts';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { describeApiError } from '../i18n/format.ts';
import { senderLabel } from '../senders/SenderTag.tsx';
import { useSenders } from '../senders/useSenders.ts';

/** Admins name and colour our WhatsApp numbers; shown only when there is more than one. */
export function SendersPanel() {
  const { t } = useI18n();
  const senders = useSenders();
  const [notice, setNotice] = useState<string | null>(null);
  const id = useId();
  if (!senders.several) return null;
  return (
    <section className="card" aria-labelledby={`${id}-h`} data-testid="senders-panel">
      <h2 id={`${id}-h`}>{t('senders.title')}</h2>
      <p className="hint">{t('senders.hint')}</p>
      <p className="notice" role="status" data-testid="senders-notice">{notice}</p>
      {senders.items.map((s) => (
        <SenderRow key={s.id} sender={s} onSaved={(saved) => setNotice(t('senders.saved', { name: senderLabel(saved) }))} />
      ))}
    </section>
  );
}

function SenderRow({ sender, onSaved }: { sender: SenderDto; onSaved(s: SenderDto): void }) {
  const { t, lang } = useI18n();
  const { store } = useSenders();
  const [name, setName] = useState(sender.name);
  const [colour, setColour] = useState(sender.colour);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const id = useId();

  async function save(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSaved(await store.update(sender.id, { name: name.trim(), colour }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="sender-row" onSubmit={(e) => void save(e)} data-testid="sender-row" data-sender-address={sender.address}>
      <span className="sender-phone">{sender.phone}</span>
      <label htmlFor={`${id}-name`} className="visually-hidden">{t('senders.name')}</label>
      <input
        id={`${id}-name`} type="text" maxLength={60} value={name} placeholder={t('senders.name')}
        onChange={(e) => setName(e.target.value)} data-testid="sender-name"
      />
      <label htmlFor={`${id}-colour`}>{t('senders.colour')}</label>
      <input id={`${id}-colour`} type="color" value={colour} onChange={(e) => setColour(e.target.value)} data-testid="sender-colour" />
      <button type="submit" className="primary" disabled={busy} data-testid="sender-save">{t('save')}</button>
      {error !== null && <p className="form-error" role="alert">{describeApiError(error, lang, t)}</p>}
    </form>
  );
}
