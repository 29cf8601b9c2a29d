import { useState, type FormEvent } from 'react';
import { api } from '../api/client.ts';
import type { ConversationDto } from '../api/contract.ts';
import { Dialog } from '../components/Dialog.tsx';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { describeApiError, formatFullDate, formatPhone } from '../i18n/format.ts';
import { useInboxStore } from '../inbox/useInbox.ts';

/**
 * Who the customer is: phone, WhatsApp profile name, the name we use (editable; kept from then on
 * whatever WhatsApp later says), first contact, last message, and the team's notes (editable).
 * Saving updates every open panel through the conversation's list entry.
 */
export function ContactPanel({ conversation, onClose }: { conversation: ConversationDto; onClose(): void }) {
  const store = useInboxStore();
  const { t, lang, locale } = useI18n();
  const contact = conversation.contact;
  const [name, setName] = useState(contact.name ?? '');
  const [notes, setNotes] = useState(contact.notes);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);

  async function save(e: FormEvent) {
    e.preventDefault();
    setSaving(true);
    setError(null);
    setSaved(false);
    try {
      const trimmed = name.trim();
      const patch = { ...(trimmed !== (contact.name ?? '') ? { name: trimmed || null } : {}), ...(notes !== contact.notes ? { notes } : {}) };
      if (Object.keys(patch).length) {
        const updated = await api.updateContact(contact.id, patch);
        // The list entry's event brings it too; shown at once here.
        const current = store.getConversation(conversation.id);
        if (current) store.upsertConversation({ ...current, contact: updated });
        setName(updated.name ?? '');
        setNotes(updated.notes);
      }
      setSaved(true);
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  }

  const when = (iso: string | null) => (iso ? formatFullDate(iso, locale) : t('contact.never'));
  return (
    <Dialog title={t('contact.title')} onClose={onClose} testId="contact-panel">
      <dl className="contact-facts">
        <dt>{t('contact.phone')}</dt>
        <dd data-testid="contact-phone">{formatPhone(contact.phone)}</dd>
        <dt>{t('contact.profileName')}</dt>
        <dd data-testid="contact-profile-name">{contact.profileName ?? '—'}</dd>
        <dt>{t('contact.firstContact')}</dt>
        <dd data-testid="contact-first">{when(contact.firstContactAt)}</dd>
        <dt>{t('contact.lastCustomerMessage')}</dt>
        <dd data-testid="contact-last-inbound">{when(contact.lastCustomerMessageAt)}</dd>
      </dl>
      <form className="contact-form" onSubmit={save}>
        <label>
          {t('contact.name')}
          <input value={name} maxLength={100} onChange={(e) => setName(e.target.value)} placeholder={contact.profileName ?? ''} data-testid="contact-name" />
        </label>
        <p className="field-hint">{t('contact.nameHint')}</p>
        <label>
          {t('contact.notes')}
          <textarea value={notes} maxLength={4000} rows={5} onChange={(e) => setNotes(e.target.value)} data-testid="contact-notes" />
        </label>
        {error !== null && <p className="form-error" role="alert" data-testid="contact-error">{describeApiError(error, lang, t)}</p>}
        {saved && <p className="form-ok" role="status" data-testid="contact-saved">{t('contact.saved')}</p>}
        <div className="dialog-actions">
          <button type="submit" className="primary" disabled={saving} data-testid="contact-save">{t('save')}</button>
        </div>
      </form>
    </Dialog>
  );
}
