// A short two-note chime made with the Web Audio API: no sound file to ship or load.

let context: AudioContext | null = null;

function audioContext(): AudioContext | null {
  if (context) return context;
  const Ctor = window.AudioContext ?? (window as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
  if (!Ctor) return null;
  context = new Ctor();
  return context;
}

/**
 * Browsers keep audio suspended until the page has had a click or a key press: the first one wakes
 * the tone's audio context, so a message that arrives later (tab in the background) can ring.
 * Returns the clean-up.
 */
export function armAlertTone(): () => void {
  const wake = () => {
    try {
      void audioContext()?.resume().catch(() => {});
    } catch {
      /* no audio here: the tone stays silent */
    }
  };
  const events = ['pointerdown', 'keydown'] as const;
  events.forEach((e) => window.addEventListener(e, wake, { once: true, capture: true }));
  return () => events.forEach((e) => window.removeEventListener(e, wake, { capture: true }));
}

/** Plays the tone; silent (never throws) where audio is blocked or missing. */
export function playAlertTone(): void {
  try {
    const ctx = audioContext();
    if (!ctx) return;
    if (ctx.state === 'suspended') void ctx.resume().catch(() => {});
    const start = ctx.currentTime + 0.01;
    const oscillator = ctx.createOscillator();
    const gain = ctx.createGain();
    oscillator.type = 'sine';
    oscillator.frequency.setValueAtTime(880, start);
    oscillator.frequency.setValueAtTime(1320, start + 0.12);
    // A quick fade in and out: no click at either end.
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.15, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.3);
    oscillator.connect(gain).connect(ctx.destination);
    oscillator.start(start);
    oscillator.stop(start + 0.32);
  } catch {
    /* audio blocked: a missed chime is no error */
  }
}
