import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { Dialog } from '../components/Dialog.tsx';
import { useI18n } from '../i18n/I18nProvider.tsx';

type OpenImage = (url: string) => void;
const ViewerContext = createContext<OpenImage | null>(null);

/** A chat image's click: opens the viewer when the chat provides one (null: the plain link does). */
export const useOpenImage = (): OpenImage | null => useContext(ViewerContext);

/**
 * The chat's image viewer: an image clicked opens large, and the arrows (buttons or ← →) step
 * through the chat's loaded images in time order. `images`: their URLs, oldest first.
 */
export function ImageViewerProvider({ images, children }: { images: readonly string[]; children: ReactNode }) {
  const { t } = useI18n();
  const [url, setUrl] = useState<string | null>(null);
  const open = useCallback<OpenImage>((u) => setUrl(u), []);
  const index = url === null ? -1 : images.indexOf(url);
  const step = useCallback((by: number) => {
    const next = images[index + by];
    if (next) setUrl(next);
  }, [images, index]);
  // ← and → wherever the focus is in the viewer (a disabled arrow button lets it go).
  const viewing = url !== null;
  useEffect(() => {
    if (!viewing) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'ArrowLeft') step(-1);
      else if (e.key === 'ArrowRight') step(1);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [viewing, step]);
  return (
    <ViewerContext.Provider value={open}>
      {children}
      {url !== null && (
        <Dialog title={index >= 0 ? t('viewer.title', { n: index + 1, total: images.length }) : t('msg.image')} onClose={() => setUrl(null)} testId="image-viewer" wide>
          <div className="image-viewer">
            <button type="button" className="icon-button viewer-step" onClick={() => step(-1)} disabled={index <= 0} aria-label={t('viewer.previous')} data-testid="image-viewer-previous">
              <span aria-hidden="true">‹</span>
            </button>
            <img src={url} alt={t('msg.image')} data-testid="image-viewer-image" />
            <button
              type="button" className="icon-button viewer-step" onClick={() => step(1)} disabled={index < 0 || index >= images.length - 1}
              aria-label={t('viewer.next')} data-testid="image-viewer-next"
            >
              <span aria-hidden="true">›</span>
            </button>
          </div>
          <p className="viewer-actions">
            <a href={url} target="_blank" rel="noopener noreferrer" download>{t('viewer.download')}</a>
          </p>
        </Dialog>
      )}
    </ViewerContext.Provider>
  );
}
