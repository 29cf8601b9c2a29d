import { useEffect, useState } from 'react';
import { api } from '../api/client.ts';
import type { AssigneeDto, ConversationDto, ConversationPatchDto, UserDto } from '../api/contract.ts';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { describeApiError } from '../i18n/format.ts';
import { useInboxStore } from '../inbox/useInbox.ts';
import { navigate } from '../router.ts';

/** The chat header's actions: who has it (Asignar a…, Tomar), Resolver / Reabrir, Marcar como no leído. */
export function ConversationActions({ conversation, me }: { conversation: ConversationDto; me: UserDto }) {
  const store = useInboxStore();
  const { t, lang } = useI18n();
  const [assignees, setAssignees] = useState<AssigneeDto[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const loadAssignees = () => api.assignees().then((r) => setAssignees(r.items), () => {});
  useEffect(() => {
    void loadAssignees();
  }, []);

  async function update(patch: ConversationPatchDto) {
    setBusy(true);
    setError(null);
    try {
      await store.updateConversation(conversation.id, patch);
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  }

  const { assignee } = conversation;
  // A disabled user keeps the conversations they had: they stay shown as its assignee.
  const options = assignee && !assignees.some((a) => a.id === assignee.id) ? [...assignees, assignee] : assignees;
  const resolved = conversation.status === 'resolved';

  return (
    <div className="chat-actions" data-testid="chat-actions">
      <select
        className="assignee-select"
        aria-label={t('assign.label')}
        title={assignee ? t('assign.to', { name: assignee.name }) : t('assign.none')}
        value={assignee?.id ?? ''}
        disabled={busy}
        onFocus={() => void loadAssignees()}
        onChange={(e) => void update({ assigneeId: e.target.value || null })}
        data-testid="assignee-select"
      >
        {/* Unassigned, the select reads "Asignar a…"; assigned, its first choice takes it back from everyone. */}
        <option value="">{assignee ? t('assign.nobody') : t('assign.label')}</option>
        {options.map((a) => <option key={a.id} value={a.id}>{a.name}</option>)}
      </select>
      {assignee?.id !== me.id && (
        <button type="button" className="secondary-button" disabled={busy} onClick={() => void update({ assigneeId: me.id })} data-testid="take-conversation">
          {t('assign.take')}
        </button>
      )}
      <button
        type="button"
        className="secondary-button"
        disabled={busy}
        onClick={() => void update({ status: resolved ? 'open' : 'resolved' })}
        data-testid={resolved ? 'reopen-conversation' : 'resolve-conversation'}
      >
        {resolved ? t('assign.reopen') : t('assign.resolve')}
      </button>
      <button
        type="button"
        className="secondary-button"
        disabled={busy}
        // Back to the list: a chat left open on screen would be read again at once.
        onClick={() => void update({ unread: true }).then((ok) => ok && navigate('/'))}
        data-testid="mark-unread"
      >
        {t('assign.markUnread')}
      </button>
      {error !== null && <p className="form-error chat-actions-error" role="alert">{describeApiError(error, lang, t)}</p>}
    </div>
  );
}
