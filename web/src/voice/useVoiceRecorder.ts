import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiRequestError } from '../api/client.ts';
import { MEDIA_UPLOAD } from '../api/contract.ts';
import type { MessageKey } from '../i18n/strings.ts';
import { voiceNoteFile, voiceRecordingType } from './voiceFormat.ts';
import { WebmRemuxError } from './webm-to-ogg.ts';

// WhatsApp's own limit for a voice note; at 32 kb/s it stays far below the 16 MB a file may weigh.
export const MAX_VOICE_MS = 15 * 60_000;
const BITS_PER_SECOND = 32_000;
// A hold shorter than this was a tap: explained, not sent.
const MIN_HOLD_MS = 700;

/** `hold`: pointer down records, release sends. `toggle`: a key press starts, the next one sends. */
export type VoiceMode = 'hold' | 'toggle';

export type VoicePhase =
  | { phase: 'idle' }
  | { phase: 'asking'; mode: VoiceMode }
  | { phase: 'recording'; mode: VoiceMode; startedAt: number }
  | { phase: 'sending'; progress: number }
  /** Recorded but its upload failed: kept, so the agent can send it again or discard it. */
  | { phase: 'unsent'; file: File; durationMs: number };

/** What the composer shows after a voice note that was not sent (or was cut at the limit). */
export type VoiceNotice = { key: MessageKey; vars?: Record<string, string | number> } | { apiError: unknown };

const reasonOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

interface Session {
  stream: MediaStream;
  recorder: MediaRecorder;
  chunks: Blob[];
  bytes: number;
  stopping: boolean;
  limitTimer: ReturnType<typeof setTimeout>;
}

/**
 * Records a voice note with the browser's microphone, asked for only on first use, and hands the
 * finished file to `send`. One recording at a time; leaving the conversation discards it.
 */
export function useVoiceRecorder(send: (file: File, onProgress: (fraction: number) => void) => Promise<void>) {
  const [state, setState] = useState<VoicePhase>({ phase: 'idle' });
  const [notice, setNotice] = useState<VoiceNotice | null>(null);
  const stateRef = useRef(state);
  const session = useRef<Session | null>(null);
  // A hold released while the browser was still asking for the microphone.
  const releasedWhileAsking = useRef(false);
  const mounted = useRef(true);
  const sendRef = useRef(send);
  sendRef.current = send;

  const set = useCallback((next: VoicePhase) => {
    stateRef.current = next;
    if (mounted.current) setState(next);
  }, []);

  const release = useCallback((s: Session) => {
    clearTimeout(s.limitTimer);
    for (const track of s.stream.getTracks()) track.stop();
    session.current = null;
  }, []);

  /** Sends a finished note; when that fails the note is kept (phase `unsent`) with the reason shown. */
  const upload = useCallback(async (file: File, durationMs: number, limitReached = false) => {
    set({ phase: 'sending', progress: 0 });
    try {
      await sendRef.current(file, (progress) => set({ phase: 'sending', progress }));
      setNotice(limitReached ? { key: 'voice.limit', vars: { minutes: MAX_VOICE_MS / 60_000 } } : null);
      set({ phase: 'idle' });
    } catch (err) {
      setNotice(err instanceof ApiRequestError ? { apiError: err } : { key: 'voice.sendFailed', vars: { reason: reasonOf(err) } });
      if (mounted.current) set({ phase: 'unsent', file, durationMs });
    }
  }, [set]);

  /** Stops the recorder; with `keep` the recording is sent, otherwise dropped. */
  const finish = useCallback(async (keep: boolean, limitReached = false) => {
    const s = session.current;
    const current = stateRef.current;
    if (!s || s.stopping || current.phase !== 'recording') return;
    s.stopping = true;
    const heldMs = Date.now() - current.startedAt;
    const stopped = new Promise<void>((resolve) => s.recorder.addEventListener('stop', () => resolve(), { once: true }));
    s.recorder.stop();
    await stopped;
    release(s);
    if (!keep || !mounted.current) return set({ phase: 'idle' });
    if (current.mode === 'hold' && heldMs < MIN_HOLD_MS) {
      setNotice({ key: 'voice.tooShort' });
      return set({ phase: 'idle' });
    }
    set({ phase: 'sending', progress: 0 });
    let file: File;
    try {
      file = await voiceNoteFile(new Blob(s.chunks, { type: s.recorder.mimeType }), s.recorder.mimeType, new Date(current.startedAt));
    } catch (err) {
      setNotice(err instanceof WebmRemuxError ? { key: 'voice.unreadable' } : { key: 'voice.failed', vars: { reason: reasonOf(err) } });
      return set({ phase: 'idle' });
    }
    await upload(file, heldMs, limitReached);
  }, [release, set, upload]);

  /** Sends again a note whose upload failed. */
  const retry = useCallback(() => {
    const current = stateRef.current;
    if (current.phase !== 'unsent') return;
    setNotice(null);
    void upload(current.file, current.durationMs);
  }, [upload]);

  const start = useCallback(async (mode: VoiceMode) => {
    if (stateRef.current.phase !== 'idle') return;
    setNotice(null);
    const type = voiceRecordingType();
    if (!type || !navigator.mediaDevices?.getUserMedia) return setNotice({ key: 'voice.unsupported' });
    releasedWhileAsking.current = false;
    set({ phase: 'asking', mode });
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (err) {
      set({ phase: 'idle' });
      const name = err instanceof DOMException ? err.name : '';
      if (name === 'NotAllowedError' || name === 'SecurityError') return setNotice({ key: 'voice.denied' });
      if (name === 'NotFoundError' || name === 'OverconstrainedError') return setNotice({ key: 'voice.noMicrophone' });
      return setNotice({ key: 'voice.failed', vars: { reason: reasonOf(err) } });
    }
    // A tap, or the first press, whose release went to the browser's permission prompt: the next hold records.
    if (!mounted.current || releasedWhileAsking.current || (stateRef.current as VoicePhase).phase !== 'asking') {
      for (const track of stream.getTracks()) track.stop();
      if (releasedWhileAsking.current) setNotice({ key: 'voice.tooShort' });
      return set({ phase: 'idle' });
    }
    let recorder: MediaRecorder;
    try {
      recorder = new MediaRecorder(stream, { mimeType: type, audioBitsPerSecond: BITS_PER_SECOND });
    } catch (err) {
      for (const track of stream.getTracks()) track.stop();
      set({ phase: 'idle' });
      return setNotice({ key: 'voice.failed', vars: { reason: reasonOf(err) } });
    }
    const s: Session = { stream, recorder, chunks: [], bytes: 0, stopping: false, limitTimer: setTimeout(() => void finish(true, true), MAX_VOICE_MS) };
    recorder.addEventListener('dataavailable', (e) => {
      if (!e.data.size) return;
      s.chunks.push(e.data);
      s.bytes += e.data.size;
      // Never let a long note outgrow what WhatsApp takes (the Ogg weighs about what the WebM does).
      if (s.bytes > MEDIA_UPLOAD.maxBytes * 0.95) void finish(true, true);
    });
    session.current = s;
    recorder.start(1000);
    set({ phase: 'recording', mode, startedAt: Date.now() });
  }, [finish, set]);

  /** A hold ended: send what was recorded (or, still asking, remember not to start). */
  const stop = useCallback(() => {
    const current = stateRef.current;
    if (current.phase === 'asking') releasedWhileAsking.current = true;
    else if (current.phase === 'recording') void finish(true);
  }, [finish]);

  const cancel = useCallback(() => {
    const current = stateRef.current;
    if (current.phase === 'asking') set({ phase: 'idle' });
    else if (current.phase === 'recording') void finish(false);
    else if (current.phase === 'unsent') {
      setNotice(null);
      set({ phase: 'idle' });
    }
  }, [finish, set]);

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
      const s = session.current;
      if (s) {
        s.recorder.stop();
        release(s);
      }
    };
  }, [release]);

  return { state, notice, start, stop, cancel, retry };
}
