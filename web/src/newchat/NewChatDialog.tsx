import { useId, useState } from 'react';
import { api, type Template } from '../api/client.ts';
import { TemplatePicker } from '../chat/TemplatePicker.tsx';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { useInboxStore } from '../inbox/useInbox.ts';
import { conversationPath, navigate } from '../router.ts';
import { senderLabel } from '../senders/SenderTag.tsx';
import { useSenders } from '../senders/useSenders.ts';
import { PhoneField } from './PhoneField.tsx';

/**
 * "Nuevo chat": write first to any number, with an approved template (all WhatsApp allows to open
 * a conversation). The server reads the number; its refusal shows here, in the panel's language.
 * On success the chat opens; a number that already had one opens that one.
 */
export function NewChatDialog({ defaultCountry, onClose }: { defaultCountry: string; onClose(): void }) {
  const { t } = useI18n();
  const store = useInboxStore();
  const [country, setCountry] = useState(defaultCountry);
  const [phone, setPhone] = useState('');
  const [name, setName] = useState('');
  const nameId = useId();
  const senderId = useId();
  const senders = useSenders();
  // With several numbers the agent chooses one (the server requires it); with one, nothing to choose.
  const [sender, setSender] = useState('');

  async function start(template: Template, variables: Record<string, string>) {
    const started = await api.startConversation({
      phone, country, ...(name.trim() ? { name: name.trim() } : {}), contentSid: template.sid, contentVariables: variables,
      ...(senders.several && sender ? { sender } : {}),
    });
    store.upsertConversation(started.conversation);
    store.upsertMessage(started.message);
    navigate(conversationPath(started.conversation.id));
  }

  return (
    <TemplatePicker
      title={t('newChat.title')}
      testId="new-chat"
      onSend={start}
      onClose={onClose}
      canSend={phone.trim() !== '' && (!senders.several || sender !== '')}
      lead={
        <>
          {senders.several && (
            <div className="field">
              <label htmlFor={senderId}>{t('newChat.sender')}</label>
              <select id={senderId} value={sender} onChange={(e) => setSender(e.target.value)} required data-testid="new-chat-sender">
                <option value="" disabled>{t('newChat.chooseSender')}</option>
                {senders.items.map((s) => (
                  <option key={s.id} value={s.id}>{s.name ? `${senderLabel(s)} (${s.phone})` : s.phone}</option>
                ))}
              </select>
            </div>
          )}
          <PhoneField country={country} phone={phone} onCountry={setCountry} onPhone={setPhone} />
          <div className="field">
            <label htmlFor={nameId}>{t('newChat.name')}</label>
            <input id={nameId} type="text" maxLength={100} value={name} onChange={(e) => setName(e.target.value)} data-testid="new-chat-name" />
          </div>
          <p className="hint">{t('newChat.onlyTemplates')}</p>
        </>
      }
    />
  );
}
