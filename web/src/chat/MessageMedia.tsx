import type { MediaDto } from '../api/contract.ts';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { formatBytes } from '../i18n/format.ts';
import { useOpenImage } from './ImageViewer.tsx';

/**
 * Images inline (in a fixed frame, so loading never moves the chat; a click opens the chat's
 * viewer), video and audio playable, anything else a link (a file sent from the panel with its name
 * and size); an item that arrived without a usable URL says it is unavailable, and a file sent
 * long ago whose bytes are no longer kept still shows its name and size.
 */
export function MessageMedia({ media }: { media: readonly MediaDto[] }) {
  const { t, lang } = useI18n();
  const openImage = useOpenImage();
  if (media.length === 0) return null;
  return (
    <div className="media">
      {media.map((m, i) => {
        const type = m.contentType ?? '';
        if (m.url === null && m.filename) {
          // A file sent from the panel whose bytes were removed long after its link expired.
          return (
            <span key={i} className="media-file media-document media-unavailable" data-testid="message-media" data-kind="removed">
              <span aria-hidden="true">📄 </span>
              <span className="media-filename" data-testid="media-filename">{m.filename}</span>
              {m.size != null && <span className="media-size"> · {formatBytes(m.size, lang)}</span>}
              <span> · {t('msg.fileRemoved')}</span>
            </span>
          );
        }
        if (m.url === null) {
          return (
            <span key={i} className="media-file media-unavailable" data-testid="message-media" data-kind="unavailable">
              <span aria-hidden="true">📎 </span>
              {t('msg.fileUnavailable')}
            </span>
          );
        }
        if (type.startsWith('image/')) {
          return (
            <a
              key={i} href={m.url} target="_blank" rel="noopener noreferrer" className="media-image" data-testid="message-media" data-kind="image" title={t('msg.openImage')}
              onClick={(e) => {
                // A plain click opens the viewer; Ctrl/⌘-click still opens a tab.
                if (!openImage || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
                e.preventDefault();
                openImage(m.url!);
              }}
            >
              <img src={m.url} alt={t('msg.image')} loading="lazy" width={280} height={210} />
            </a>
          );
        }
        if (type.startsWith('video/')) {
          return (
            <div key={i} className="media-video" data-testid="message-media" data-kind="video">
              <video controls preload="metadata" src={m.url} aria-label={t('msg.video')} width={280} height={210} />
            </div>
          );
        }
        if (type.startsWith('audio/')) {
          return (
            <div key={i} className="media-audio" data-testid="message-media" data-kind="audio">
              <audio controls preload="metadata" src={m.url} aria-label={t('msg.audio')} />
              <a href={m.url} download>{t('msg.file', { type })}</a>
            </div>
          );
        }
        if (m.filename) {
          return (
            <a key={i} href={m.url} download={m.filename} className="media-file media-document" data-testid="message-media" data-kind="file" title={t('msg.download', { name: m.filename })}>
              <span aria-hidden="true">📄 </span>
              <span className="media-filename" data-testid="media-filename">{m.filename}</span>
              {m.size != null && <span className="media-size"> · {formatBytes(m.size, lang)}</span>}
            </a>
          );
        }
        return (
          <a key={i} href={m.url} download className="media-file" data-testid="message-media" data-kind="file">
            <span aria-hidden="true">📎 </span>
            {type ? t('msg.file', { type }) : t('msg.fileUnknown')}
          </a>
        );
      })}
    </div>
  );
}
