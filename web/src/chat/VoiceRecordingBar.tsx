import { useEffect } from 'react';
import { useNow } from '../components/useNow.ts';
import { useI18n } from '../i18n/I18nProvider.tsx';
import type { useVoiceRecorder } from '../voice/useVoiceRecorder.ts';

function clock(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/**
 * In place of the text box while a voice note is recorded or sent: the running time and how to
 * finish; after a failed upload, the kept note with Reintentar and the bin.
 */
export function VoiceRecordingBar({ voice }: { voice: ReturnType<typeof useVoiceRecorder> }) {
  const { t } = useI18n();
  const now = useNow(250);
  const { state } = voice;

  // Escape discards, wherever the focus is.
  useEffect(() => {
    if (state.phase !== 'recording' && state.phase !== 'asking') return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      voice.cancel();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [state.phase, voice.cancel]);

  if (state.phase === 'sending') {
    return (
      <div className="voice-bar" role="status" data-testid="voice-sending">
        <span>{t('voice.sending')}</span>
        <progress max={1} value={state.progress} aria-label={t('voice.sending')} />
      </div>
    );
  }
  if (state.phase === 'unsent') {
    return (
      <div className="voice-bar" data-testid="voice-unsent">
        <button type="button" className="icon-button" onClick={voice.cancel} aria-label={t('voice.cancel')} title={t('voice.cancel')} data-testid="voice-cancel">
          <span aria-hidden="true">🗑</span>
        </button>
        <span className="voice-hint">{t('voice.unsent', { duration: clock(state.durationMs) })}</span>
        <button type="button" className="primary" onClick={voice.retry} data-testid="voice-retry">{t('voice.retry')}</button>
      </div>
    );
  }
  if (state.phase === 'idle') return null;
  const elapsed = state.phase === 'recording' ? now.getTime() - state.startedAt : 0;
  return (
    <div className="voice-bar" data-testid="voice-recording">
      <button type="button" className="icon-button" onClick={voice.cancel} aria-label={t('voice.cancel')} title={t('voice.cancel')} data-testid="voice-cancel">
        <span aria-hidden="true">🗑</span>
      </button>
      <span className="voice-dot" aria-hidden="true" />
      <span className="voice-clock" role="timer" aria-label={t('voice.recording')} data-testid="voice-clock">{clock(elapsed)}</span>
      <span className="voice-hint">{state.mode === 'hold' ? t('voice.holdHint') : t('voice.toggleHint')}</span>
    </div>
  );
}
