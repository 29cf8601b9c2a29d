import { useEffect, useState, type FormEvent } from 'react';
import { MEDIA_UPLOAD } from '../api/contract.ts';
import { Dialog } from '../components/Dialog.tsx';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { describeApiError, formatBytes } from '../i18n/format.ts';
import { useInboxStore } from '../inbox/useInbox.ts';

/**
 * A file about to be sent: its picture (or name, type and size), an optional caption, and the
 * upload's progress. The server decides what WhatsApp takes; a size over the limit is only told
 * here first, to save a useless upload.
 */
export function AttachmentPreview({ conversationId, file, onClose }: { conversationId: string; file: File; onClose(): void }) {
  const store = useInboxStore();
  const { t, lang } = useI18n();
  const [caption, setCaption] = useState('');
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [thumb, setThumb] = useState<string | null>(null);
  const isImage = file.type === 'image/jpeg' || file.type === 'image/png';

  useEffect(() => {
    if (!isImage) return;
    const url = URL.createObjectURL(file);
    setThumb(url);
    return () => URL.revokeObjectURL(url);
  }, [file, isImage]);

  const limit = file.type.startsWith('image/') ? MEDIA_UPLOAD.maxImageBytes : MEDIA_UPLOAD.maxBytes;
  const tooBig = file.size > limit;
  const sending = progress !== null;

  async function send(e: FormEvent) {
    e.preventDefault();
    if (sending || tooBig) return;
    setError(null);
    setProgress(0);
    try {
      await store.sendFile(conversationId, file, caption.trim(), setProgress);
      onClose();
    } catch (err) {
      setProgress(null);
      setError(err);
    }
  }

  return (
    <Dialog title={t('attach.title')} onClose={sending ? () => {} : onClose} testId="attach-preview">
      <form className="attach-preview" onSubmit={send}>
        {thumb ? (
          <img className="attach-thumb" src={thumb} alt={file.name} data-testid="attach-thumb" />
        ) : (
          <p className="attach-file" data-testid="attach-file">
            <span aria-hidden="true">📄 </span>
            <strong>{file.name}</strong>
          </p>
        )}
        <p className="attach-meta" data-testid="attach-meta">{file.type || t('attach.unknownType')} · {formatBytes(file.size, lang)}</p>
        {tooBig && <p className="form-error" role="alert" data-testid="attach-error">{t('attach.tooBig', { max: formatBytes(limit, lang) })}</p>}
        {error !== null && <p className="form-error" role="alert" data-testid="attach-error">{describeApiError(error, lang, t)}</p>}
        <label className="attach-caption">
          {t('attach.caption')}
          <input type="text" value={caption} maxLength={1024} onChange={(e) => setCaption(e.target.value)} disabled={sending} data-testid="attach-caption" />
        </label>
        {sending && (
          <progress className="attach-progress" max={1} value={progress} data-testid="attach-progress" aria-label={t('attach.uploading')} />
        )}
        <div className="dialog-actions">
          <button type="button" className="secondary" onClick={onClose} disabled={sending} data-testid="attach-cancel">{t('attach.cancel')}</button>
          <button type="submit" className="primary" disabled={sending || tooBig} data-testid="attach-send">{t('attach.send')}</button>
        </div>
      </form>
    </Dialog>
  );
}
