import { useEffect, useId, useRef, useState, type ClipboardEvent, type FormEvent, type KeyboardEvent } from 'react';
import { api, type Template } from '../api/client.ts';
import { MEDIA_UPLOAD, type ConversationDto } from '../api/contract.ts';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { describeApiError } from '../i18n/format.ts';
import { isReturnedToSender } from '../inbox/inboxStore.ts';
import { useInboxStore } from '../inbox/useInbox.ts';
import { AttachmentPreview } from './AttachmentPreview.tsx';
import { QuickReplyList } from './QuickReplyList.tsx';
import { TemplatePicker } from './TemplatePicker.tsx';
import { useVoiceRecorder, type VoiceNotice } from '../voice/useVoiceRecorder.ts';
import { useQuickReplyPicker } from './useQuickReplyPicker.ts';
import { renderTemplate } from './useTemplates.ts';
import { useWindowOpen } from './useWindowOpen.ts';
import { VoiceButton } from './VoiceButton.tsx';
import { VoiceRecordingBar } from './VoiceRecordingBar.tsx';
import { WindowCountdown } from './WindowCountdown.tsx';

const MAX_LENGTH = 4096;
// Unsent text survives switching conversations.
const drafts = new Map<string, string>();

/**
 * Free text, files and voice notes while the 24-hour window is open; an approved template at any time. The file
 * being sent (chosen with 📎, pasted, or dropped on the chat) is the chat's, so a drop anywhere on
 * it lands here.
 */
export function Composer({ conversation, attached, onAttach }: { conversation: ConversationDto; attached: File | null; onAttach(file: File | null): void }) {
  const store = useInboxStore();
  const { t, lang } = useI18n();
  const id = conversation.id;
  const [text, setText] = useState(() => drafts.get(id) ?? '');
  const [error, setError] = useState<unknown>(null);
  const [picking, setPicking] = useState(false);
  // An internal note instead of a WhatsApp message: for the team, allowed whatever the window.
  const [noting, setNoting] = useState(false);
  const open = useWindowOpen(conversation.windowExpiresAt);
  const input = useRef<HTMLTextAreaElement>(null);
  const inputId = useId();
  const noticeId = useId();
  const fileInput = useRef<HTMLInputElement>(null);
  const voice = useVoiceRecorder((file, onProgress) => store.sendFile(id, file, '', onProgress));
  const voiceActive = voice.state.phase !== 'idle';

  // A window that closes mid-recording takes the voice note with it: outside it only templates go.
  useEffect(() => {
    if (!open) voice.cancel();
  }, [open, voice.cancel]);

  useEffect(() => {
    const el = input.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 160)}px`;
  }, [text]);

  function change(value: string) {
    setText(value);
    if (value) drafts.set(id, value);
    else drafts.delete(id);
  }

  async function sendText() {
    const body = text.trim();
    if (noting) return addNote(body);
    if (!body || !open || body.length > MAX_LENGTH) return;
    change('');
    setError(null);
    try {
      await store.send(id, { body }, body);
    } catch (err) {
      if (!isReturnedToSender(err)) return; // the failed bubble explains it
      change(body);
      setError(err);
      // The server saw a closed window that we thought open: take its word for it.
      api.conversation(id).then((c) => store.upsertConversation(c), () => {});
    }
  }

  async function addNote(body: string) {
    if (!body || body.length > MAX_LENGTH) return;
    change('');
    setError(null);
    try {
      await store.addNote(id, body);
    } catch (err) {
      change(body);
      setError(err);
    }
  }

  async function sendTemplate(template: Template, variables: Record<string, string>) {
    try {
      await store.send(id, { contentSid: template.sid, contentVariables: variables }, renderTemplate(template.body, variables));
    } catch (err) {
      if (isReturnedToSender(err)) throw err; // shown in the picker, which stays open
    }
  }

  // The name we use for the customer, else their WhatsApp profile name: `{{nombre}}` in a quick reply.
  const picker = useQuickReplyPicker({ text, setText: change, input, contactName: conversation.contact.name ?? conversation.contact.profileName });

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (picker.keyDown(e)) return e.preventDefault();
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void sendText();
    }
  }

  // A pasted file (a screenshot, a copied document) is sent as an attachment; pasted text stays text.
  function onPaste(e: ClipboardEvent<HTMLTextAreaElement>) {
    const file = e.clipboardData.files[0];
    if (!file || !open || noting) return;
    e.preventDefault();
    onAttach(file);
  }

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    void sendText();
  }

  const tooLong = text.trim().length > MAX_LENGTH;
  const writable = open || noting;
  // Like WhatsApp: the microphone stands where the send arrow is until something is typed.
  const showMic = voiceActive || (open && !noting && !text.trim());
  return (
    <div className={`composer${noting ? ' composer-note' : ''}`} data-testid="composer" data-window={open ? 'open' : 'closed'}>
      {open && conversation.windowExpiresAt ? (
        <WindowCountdown expiresAt={conversation.windowExpiresAt} />
      ) : (
        <p className="window-closed" id={noticeId} data-testid="window-closed" role="status">
          {conversation.windowExpiresAt ? t('composer.windowClosed') : t('composer.windowNever')}
        </p>
      )}
      {error !== null && <p className="form-error" role="alert" data-testid="composer-error">{describeApiError(error, lang, t)}</p>}
      {voice.notice && <VoiceNoticeLine notice={voice.notice} />}
      {tooLong && <p className="form-error" role="alert">{t('composer.tooLong', { n: text.trim().length, max: MAX_LENGTH })}</p>}
      <label className="note-toggle">
        <input type="checkbox" checked={noting} onChange={(e) => setNoting(e.target.checked)} disabled={voiceActive} data-testid="note-toggle" />
        {t('composer.noteToggle')}
      </label>
      {/* While a voice note records, its bar takes the whole row (a phone has no room to spare). */}
      <form className={`composer-row${voiceActive ? ' composer-voice' : ''}`} onSubmit={onSubmit}>
        <button
          type="button"
          className={open ? 'secondary' : 'primary'}
          onClick={() => setPicking(true)}
          data-testid="open-templates"
          aria-haspopup="dialog"
        >
          {open ? t('composer.templates') : t('composer.chooseTemplate')}
        </button>
        <button
          type="button"
          className="icon-button attach-button"
          onClick={() => fileInput.current?.click()}
          disabled={!open || noting}
          aria-label={t('attach.button')}
          title={t('attach.button')}
          data-testid="attach-button"
        >
          <span aria-hidden="true">📎</span>
        </button>
        <input
          ref={fileInput}
          type="file"
          hidden
          accept={MEDIA_UPLOAD.accept}
          onChange={(e) => {
            const file = e.target.files?.[0];
            e.target.value = '';
            if (file) onAttach(file);
          }}
          data-testid="attach-input"
        />
        {writable && !voiceActive && <QuickReplyList picker={picker} />}
        <label htmlFor={inputId} className="visually-hidden">{t('composer.label')}</label>
        <textarea
          id={inputId}
          ref={input}
          rows={1}
          value={writable ? text : ''}
          onChange={(e) => {
            change(e.target.value);
            picker.track();
          }}
          onSelect={picker.track}
          onKeyDown={onKeyDown}
          onPaste={onPaste}
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={picker.open}
          aria-controls={picker.open && picker.matches.length ? picker.listId : undefined}
          aria-activedescendant={picker.open && picker.matches.length ? picker.optionId(picker.active) : undefined}
          disabled={!writable}
          placeholder={noting ? t('composer.notePlaceholder') : open ? t('composer.placeholder') : t('composer.closedPlaceholder')}
          aria-describedby={writable ? undefined : noticeId}
          title={writable ? t('composer.hint') : undefined}
          data-testid="composer-input"
        />
        {voiceActive && <VoiceRecordingBar voice={voice} />}
        {showMic && voice.state.phase !== 'unsent' && <VoiceButton voice={voice} disabled={!open} />}
        <button type="submit" className="send-button" disabled={!writable || !text.trim() || tooLong} hidden={showMic} data-testid="send-button" aria-label={noting ? t('composer.addNote') : t('composer.send')}>
          <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">
            <path fill="currentColor" d="M3.4 20.4 21 12 3.4 3.6l-.01 6.53L15 12 3.39 13.87z" />
          </svg>
        </button>
      </form>
      {picking && <TemplatePicker onSend={sendTemplate} onClose={() => setPicking(false)} />}
      {attached && <AttachmentPreview conversationId={id} file={attached} onClose={() => onAttach(null)} />}
    </div>
  );
}

function VoiceNoticeLine({ notice }: { notice: VoiceNotice }) {
  const { t, lang } = useI18n();
  if ('apiError' in notice) return <p className="form-error" role="alert" data-testid="voice-notice">{describeApiError(notice.apiError, lang, t)}</p>;
  // Explanations, not failures.
  const hint = notice.key === 'voice.tooShort' || notice.key === 'voice.limit';
  return <p className={hint ? 'composer-hint' : 'form-error'} role={hint ? 'status' : 'alert'} data-testid="voice-notice">{t(notice.key, notice.vars)}</p>;
}
