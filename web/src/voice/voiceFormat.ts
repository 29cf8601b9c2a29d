import { webmToOgg } from './webm-to-ogg.ts';

// What WhatsApp takes as a voice note: Opus in Ogg (Firefox records it), or AAC in MP4 (Safari).
// Chromium records Opus only in WebM, which WhatsApp refuses: its packets are moved into Ogg here.
// (Chromium's own audio/mp4 holds Opus, which WhatsApp refuses in MP4: WebM comes first.)
const RECORDABLE = ['audio/ogg;codecs=opus', 'audio/webm;codecs=opus', 'audio/mp4;codecs=mp4a.40.2', 'audio/mp4'] as const;

/** The first format this browser's MediaRecorder can write that we can send, or null. */
export function voiceRecordingType(): string | null {
  if (typeof MediaRecorder === 'undefined') return null;
  return RECORDABLE.find((type) => MediaRecorder.isTypeSupported(type)) ?? null;
}

/** The recording as a file WhatsApp takes, named like WhatsApp names voice notes. */
export async function voiceNoteFile(recording: Blob, recordedType: string, at: Date): Promise<File> {
  const stamp = at.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  const type = recordedType.toLowerCase();
  if (type.startsWith('audio/webm')) {
    const ogg = webmToOgg(new Uint8Array(await recording.arrayBuffer()));
    return new File([ogg], `nota-de-voz-${stamp}.ogg`, { type: 'audio/ogg' });
  }
  if (type.startsWith('audio/ogg')) return new File([recording], `nota-de-voz-${stamp}.ogg`, { type: 'audio/ogg' });
  return new File([recording], `nota-de-voz-${stamp}.m4a`, { type: 'audio/mp4' });
}
