import { useEffect, useState } from 'react';
import type { Settings } from './api/client.ts';
import type { AlertPreferencesDto, UserDto } from './api/contract.ts';
import { useAlerts } from './alerts/useAlerts.ts';
import { AuditPage } from './admin/AuditPage.tsx';
import { QuickRepliesPage } from './admin/QuickRepliesPage.tsx';
import { UsersPage } from './admin/UsersPage.tsx';
import { Chat } from './chat/Chat.tsx';
import { ConnectionBanner, DemoBanner } from './components/Banners.tsx';
import { Header } from './components/Header.tsx';
import { useI18n } from './i18n/I18nProvider.tsx';
import { describeApiError } from './i18n/format.ts';
import { InboxStore } from './inbox/inboxStore.ts';
import { InboxContext, useConversation, useUnreadChats } from './inbox/useInbox.ts';
import { useRealtime } from './inbox/useRealtime.ts';
import { ConversationList } from './list/ConversationList.tsx';
import { useRoute, type Route } from './router.ts';
import { Login } from './session/Login.tsx';
import { useSession } from './session/useSession.ts';

export function App() {
  const session = useSession();
  const { t, lang } = useI18n();
  const { state } = session;

  if (state.status === 'loading') return <p className="splash" role="status">{t('loading')}</p>;
  if (state.status === 'anonymous') return <Login onLogin={session.login} />;
  if (state.status === 'error') {
    return (
      <main className="splash">
        <p className="form-error" role="alert">{describeApiError(state.error, lang, t)}</p>
        <button type="button" className="primary" onClick={session.recheck}>{t('retry')}</button>
      </main>
    );
  }
  return (
    <Workspace
      key={state.user.id}
      user={state.user}
      demoMode={state.demoMode}
      defaultCountry={state.defaultCountry}
      settings={state.settings}
      alerts={state.alerts}
      onAlerts={session.setAlerts}
      onLogout={() => void session.logout()}
      recheckSession={session.recheck}
      onSettings={session.setSettings}
    />
  );
}

function Workspace({ user, demoMode, defaultCountry, settings, alerts, onAlerts, onLogout, recheckSession, onSettings }: {
  user: UserDto;
  demoMode: boolean;
  defaultCountry: string;
  settings: Settings;
  alerts: AlertPreferencesDto;
  onAlerts(a: AlertPreferencesDto): void;
  onLogout(): void;
  recheckSession(): void;
  onSettings(s: Settings): void;
}) {
  // One store per signed-in user: signing out drops everything the previous user saw.
  const [store] = useState(() => new InboxStore(user));
  const connection = useRealtime(store, recheckSession, onAlerts);
  useAlerts(store, user, alerts);
  const route = useRoute();
  const openId = route.page === 'inbox' ? route.conversationId : null;

  return (
    <InboxContext.Provider value={store}>
      <TabTitle />
      <div className="app">
        <HeaderWithPhone user={user} route={route} demoMode={demoMode} onLogout={onLogout} openId={openId} alerts={alerts} onAlerts={onAlerts} />
        {demoMode && <DemoBanner />}
        <ConnectionBanner state={connection} />
        {route.page === 'users' ? (
          <UsersPage me={user} settings={settings} onSettings={onSettings} />
        ) : route.page === 'audit' ? (
          <AuditPage me={user} />
        ) : route.page === 'quickReplies' ? (
          <QuickRepliesPage me={user} />
        ) : (
          <div className={`inbox${openId ? ' has-chat' : ''}`}>
            <ConversationList selectedId={openId} defaultCountry={defaultCountry} />
            <main className="chat-pane" id="chat">
              {openId ? (
                <Chat key={openId} conversationId={openId} me={user} />
              ) : (
                <ChatPlaceholder />
              )}
            </main>
          </div>
        )}
      </div>
    </InboxContext.Provider>
  );
}

function ChatPlaceholder() {
  const { t } = useI18n();
  return (
    <div className="chat-placeholder" data-testid="chat-placeholder">
      <p>{t('chat.none')}</p>
    </div>
  );
}

/** The header, told the open conversation's phone (the Simular menu's default). */
function HeaderWithPhone({ openId, ...rest }: {
  user: UserDto; route: Route; demoMode: boolean; onLogout(): void; openId: string | null; alerts: AlertPreferencesDto; onAlerts(a: AlertPreferencesDto): void;
}) {
  const conversation = useConversation(openId);
  return <Header {...rest} openPhone={conversation?.contact.phone ?? null} />;
}

/** "(3) wa-inbox": conversations with unread messages, in the browser tab. */
function TabTitle() {
  const { t } = useI18n();
  const unread = useUnreadChats();
  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) ${t('appName')}` : t('appName');
  }, [unread, t]);
  useEffect(() => () => void (document.title = 'wa-inbox'), []);
  return null;
}
