import { lazy, Suspense, useState } from 'react';
import { Dialog } from '../components/Dialog.tsx';
import { useI18n } from '../i18n/I18nProvider.tsx';

// The dialog and the phone-number metadata it needs (about 30 KB compressed) load on the first
// click, not with the inbox every agent opens many times a day. A chunk that cannot load (the
// network, or a new version deployed since this page loaded) says so instead of breaking the panel.
const NewChatDialog = lazy(() =>
  import('./NewChatDialog.tsx').then((m) => ({ default: m.NewChatDialog }), () => ({ default: NewChatUnavailable })),
);

function NewChatUnavailable({ onClose }: { defaultCountry: string; onClose(): void }) {
  const { t } = useI18n();
  return (
    <Dialog title={t('newChat.title')} onClose={onClose} testId="new-chat">
      <p className="form-error" role="alert">{t('newChat.loadFailed')}</p>
    </Dialog>
  );
}

/** The list header's "Nuevo chat" button and its dialog. */
export function NewChatButton({ defaultCountry }: { defaultCountry: string }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="primary new-chat-button" onClick={() => setOpen(true)} data-testid="new-chat-open">
        <span aria-hidden="true">+</span> {t('newChat.open')}
      </button>
      {open && (
        <Suspense fallback={null}>
          <NewChatDialog defaultCountry={defaultCountry} onClose={() => setOpen(false)} />
        </Suspense>
      )}
    </>
  );
}
