import { useRef, type KeyboardEvent, type PointerEvent } from 'react';
import { useI18n } from '../i18n/I18nProvider.tsx';
import type { useVoiceRecorder } from '../voice/useVoiceRecorder.ts';

// How far a held pointer may wander from where it went down before the note is discarded.
const CANCEL_DISTANCE_PX = 80;

/**
 * The microphone: held (mouse or finger) it records and sends on release, slid away it discards;
 * from the keyboard, Enter or Space starts and the next press sends.
 */
export function VoiceButton({ voice, disabled }: { voice: ReturnType<typeof useVoiceRecorder>; disabled: boolean }) {
  const { t } = useI18n();
  const hold = useRef<{ x: number; y: number } | null>(null);
  const { state } = voice;
  const recording = state.phase === 'recording' || state.phase === 'asking';
  // Started from the keyboard, the next press sends: the button shows the send arrow.
  const sendsOnPress = state.phase === 'recording' && state.mode === 'toggle';

  function onPointerDown(e: PointerEvent<HTMLButtonElement>) {
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    e.preventDefault();
    if (state.phase === 'recording' && state.mode === 'toggle') return voice.stop();
    if (state.phase !== 'idle') return;
    // Captured, so the release is ours even off the button.
    e.currentTarget.setPointerCapture(e.pointerId);
    hold.current = { x: e.clientX, y: e.clientY };
    void voice.start('hold');
  }

  function onPointerMove(e: PointerEvent<HTMLButtonElement>) {
    const from = hold.current;
    if (!from || Math.hypot(e.clientX - from.x, e.clientY - from.y) < CANCEL_DISTANCE_PX) return;
    hold.current = null;
    voice.cancel();
  }

  function onPointerUp() {
    if (!hold.current) return;
    hold.current = null;
    voice.stop();
  }

  function onPointerCancel() {
    if (!hold.current) return;
    hold.current = null;
    voice.cancel();
  }

  function onKeyDown(e: KeyboardEvent<HTMLButtonElement>) {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    e.preventDefault();
    if (e.repeat) return;
    if (state.phase === 'idle') void voice.start('toggle');
    else if (state.phase === 'recording' && state.mode === 'toggle') voice.stop();
  }

  return (
    <button
      type="button"
      className={`send-button voice-button${recording ? ' voice-recording' : ''}`}
      disabled={disabled || state.phase === 'sending'}
      aria-label={sendsOnPress ? t('voice.send') : t('voice.button')}
      aria-pressed={recording}
      title={sendsOnPress ? t('voice.send') : t('voice.button')}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={onPointerCancel}
      onKeyDown={onKeyDown}
      onContextMenu={(e) => e.preventDefault()}
      data-testid="voice-button"
    >
      {sendsOnPress ? (
        <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">
          <path fill="currentColor" d="M3.4 20.4 21 12 3.4 3.6l-.01 6.53L15 12 3.39 13.87z" />
        </svg>
      ) : (
        <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">
          <path fill="currentColor" d="M12 14.5a3.5 3.5 0 0 0 3.5-3.5V5a3.5 3.5 0 0 0-7 0v6a3.5 3.5 0 0 0 3.5 3.5zm6.3-3.5a.9.9 0 0 0-1.8 0 4.5 4.5 0 0 1-9 0 .9.9 0 0 0-1.8 0 6.3 6.3 0 0 0 5.4 6.2V20H8.6a.9.9 0 0 0 0 1.8h6.8a.9.9 0 0 0 0-1.8h-2.5v-2.8a6.3 6.3 0 0 0 5.4-6.2z" />
        </svg>
      )}
    </button>
  );
}
