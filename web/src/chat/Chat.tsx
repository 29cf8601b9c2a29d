import { useEffect, useState } from 'react';
import type { UserDto } from '../api/contract.ts';
import { Avatar } from '../components/Avatar.tsx';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { contactLabel, describeApiError, formatPhone } from '../i18n/format.ts';
import { SenderTag } from '../senders/SenderTag.tsx';
import { useConversation, useInboxStore, useThread } from '../inbox/useInbox.ts';
import { navigate } from '../router.ts';
import { Composer } from './Composer.tsx';
import { ContactPanel } from './ContactPanel.tsx';
import { ConversationActions } from './ConversationActions.tsx';
import { MessageList } from './MessageList.tsx';

/** The right pane: who, the messages, and the composer. */
export function Chat({ conversationId, me }: { conversationId: string; me: UserDto }) {
  const store = useInboxStore();
  const { t, lang } = useI18n();
  const conversation = useConversation(conversationId);
  const thread = useThread(conversationId);
  const [showContact, setShowContact] = useState(false);
  // A file dropped on the chat, pasted, or chosen with 📎: the composer previews and sends it.
  const [attached, setAttached] = useState<File | null>(null);
  const [dragging, setDragging] = useState(false);
  useEffect(() => setAttached(null), [conversationId]);

  useEffect(() => {
    void store.ensureConversation(conversationId);
  }, [store, conversationId]);

  // Live message events for this chat only while it is open (the server's per-chat room).
  useEffect(() => {
    void store.watch(conversationId);
    return () => store.unwatch(conversationId);
  }, [store, conversationId]);

  // Reading happens when the chat is on screen: opened, and the tab visible.
  const unread = conversation?.unreadCount ?? 0;
  useEffect(() => {
    if (unread === 0) return;
    const markIfVisible = () => {
      if (document.visibilityState === 'visible') void store.markRead(conversationId);
    };
    markIfVisible();
    document.addEventListener('visibilitychange', markIfVisible);
    return () => document.removeEventListener('visibilitychange', markIfVisible);
  }, [store, conversationId, unread]);

  if (!conversation) {
    return (
      <section className="chat chat-empty" data-testid="chat" data-conversation-id={conversationId}>
        <p className="chat-note" role={thread.error ? 'alert' : 'status'}>
          {thread.error ? describeApiError(thread.error, lang, t) : t('loading')}
        </p>
      </section>
    );
  }

  const name = contactLabel(conversation.contact);
  const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');
  return (
    <section
      className={`chat${dragging ? ' chat-dragging' : ''}`}
      data-testid="chat"
      data-conversation-id={conversationId}
      aria-labelledby="chat-title"
      data-drop-label={t('attach.drop')}
      onDragOver={(e) => {
        if (!hasFiles(e.nativeEvent)) return;
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={(e) => {
        setDragging(false);
        const file = e.dataTransfer.files[0];
        if (!file) return;
        e.preventDefault();
        setAttached(file);
      }}
    >
      <header className="chat-header" data-testid="chat-header">
        <button type="button" className="icon-button back-button" onClick={() => navigate('/')} aria-label={t('chat.back')}>
          <span aria-hidden="true">←</span>
        </button>
        <button type="button" className="chat-contact-button" onClick={() => setShowContact(true)} title={t('chat.openContact')} data-testid="open-contact" aria-haspopup="dialog">
          <Avatar name={conversation.contact.name} />
          <div className="chat-title">
            <h2 id="chat-title" data-testid="chat-title">{name}</h2>
            {conversation.contact.name && <p className="chat-phone" data-testid="chat-phone">{formatPhone(conversation.contact.phone)}</p>}
          </div>
        </button>
        <SenderTag sender={conversation.sender} className="chat-sender" />
        <ConversationActions conversation={conversation} me={me} />
      </header>
      {showContact && <ContactPanel conversation={conversation} onClose={() => setShowContact(false)} />}
      <MessageList conversationId={conversationId} meId={me.id} label={t('chat.messages', { name })} />
      <Composer key={conversationId} conversation={conversation} attached={attached} onAttach={setAttached} />
    </section>
  );
}
