import type { AuditEntryDto } from '../api/contract.ts';
import { useI18n, type Translate } from '../i18n/I18nProvider.tsx';
import type { MessageKey } from '../i18n/strings.ts';
import { contactLabel, formatDateTime, formatFullDate } from '../i18n/format.ts';
import { conversationPath, navigate } from '../router.ts';

export function AuditRow({ entry }: { entry: AuditEntryDto }) {
  const { t, locale } = useI18n();
  const action = actionKey(entry);
  return (
    <tr data-testid="audit-row" data-action={entry.action}>
      <td className="audit-when" data-label={t('audit.when')}>
        <time dateTime={entry.at} title={formatFullDate(entry.at, locale)}>{formatDateTime(entry.at, locale)}</time>
      </td>
      <td data-testid="audit-actor" data-label={t('audit.who')}>
        {entry.actor ? (
          <>
            {entry.actor.name}
            <span className="audit-email">{entry.actor.email}</span>
          </>
        ) : (
          <span className="muted">{t('audit.system')}</span>
        )}
      </td>
      <td data-testid="audit-action" data-label={t('audit.action')}>{action ? t(action) : entry.action}</td>
      <td data-testid="audit-target" data-label={t('audit.target')}><AuditTarget entry={entry} /></td>
      <td className="audit-details" data-testid="audit-details" data-label={t('audit.details')}>{describeDetails(entry, t)}</td>
    </tr>
  );
}

function AuditTarget({ entry }: { entry: AuditEntryDto }) {
  const { t } = useI18n();
  if (entry.action === 'message.send' || entry.action.startsWith('conversation.')) {
    const m = entry.action === 'message.send'
      ? entry.targetMessage
      : entry.targetConversation && { conversationId: entry.targetConversation.id, contact: entry.targetConversation.contact };
    if (!m) return <span className="muted">{t('audit.target.gone')}</span>;
    const path = conversationPath(m.conversationId);
    return (
      <a
        href={path}
        onClick={(e) => {
          if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
          e.preventDefault();
          navigate(path);
        }}
        data-testid="audit-conversation-link"
      >
        {contactLabel(m.contact)}
      </a>
    );
  }
  if (entry.action.startsWith('user.')) {
    return entry.targetUser ? <span title={entry.targetUser.email}>{entry.targetUser.name}</span> : <span className="muted">{t('audit.target.gone')}</span>;
  }
  if (entry.action === 'settings.update') return <>{t('audit.target.settings')}</>;
  // The shortcut (in the details) names it; its id means nothing to a reader.
  if (entry.action.startsWith('quickReply.')) return <>{typeof entry.details.shortcut === 'string' ? `/${entry.details.shortcut}` : '—'}</>;
  return <>{entry.target ?? '—'}</>;
}

function actionKey(e: AuditEntryDto): MessageKey | null {
  switch (e.action) {
    case 'message.send': return 'audit.action.messageSend';
    case 'user.create': return 'audit.action.userCreate';
    // Disabling and enabling are what an admin looks for, so they get their own words.
    case 'user.update': return e.details.disabled === true ? 'audit.action.userDisable' : e.details.disabled === false ? 'audit.action.userEnable' : 'audit.action.userUpdate';
    case 'settings.update': return 'audit.action.settingsUpdate';
    case 'contact.update': return 'audit.action.contactUpdate';
    case 'note.create': return 'audit.action.noteCreate';
    case 'conversation.create': return 'audit.action.conversationCreate';
    case 'conversation.assign': return 'audit.action.conversationAssign';
    case 'conversation.status': return e.details.to === 'resolved' ? 'audit.action.conversationResolve' : 'audit.action.conversationReopen';
    case 'conversation.unread': return 'audit.action.conversationUnread';
    case 'quickReply.create': return 'audit.action.quickReplyCreate';
    case 'quickReply.update': return 'audit.action.quickReplyUpdate';
    case 'quickReply.delete': return 'audit.action.quickReplyDelete';
    default: return null;
  }
}

const shorten = (text: string, max: number) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? flat.slice(0, max - 1).trimEnd() + '…' : flat;
};

/** The entry's details in a line: "Correo: … · Rol: Agente", «the message's start», "Contraseña restablecida". */
function describeDetails(e: AuditEntryDto, t: Translate): string {
  const d = e.details;
  const role = (v: unknown) => (v === 'admin' ? t('users.role.admin') : v === 'agent' ? t('users.role.agent') : String(v));
  const parts: string[] = [];
  switch (e.action) {
    case 'message.send':
      if (d.contentSid) parts.push(t('audit.details.template'));
      if (e.targetMessage?.body) parts.push(t('audit.details.text', { text: shorten(e.targetMessage.body, 80) }));
      break;
    case 'user.create':
      if (typeof d.email === 'string') parts.push(t('audit.details.email', { email: d.email }));
      if (d.role !== undefined) parts.push(t('audit.details.role', { role: role(d.role) }));
      break;
    case 'user.update':
      if (typeof d.name === 'string') parts.push(t('audit.details.name', { name: d.name }));
      if (d.role !== undefined) parts.push(t('audit.details.role', { role: role(d.role) }));
      if (d.passwordReset === true) parts.push(t('audit.details.passwordReset'));
      break;
    case 'settings.update':
      for (const [key, value] of Object.entries(d)) {
        const yesNo = value ? t('audit.yes') : t('audit.no');
        parts.push(key === 'externalRaisesConversation'
          ? t('audit.details.externalRaises', { value: yesNo })
          : key === 'replyTakesConversation' ? t('audit.details.replyTakes', { value: yesNo }) : `${key}: ${JSON.stringify(value)}`);
      }
      break;
    case 'conversation.assign':
      parts.push(e.assignedTo ? t('audit.details.assignedTo', { name: e.assignedTo.name }) : t('audit.details.unassigned'));
      if (d.reason === 'reply') parts.push(t('audit.details.byReply'));
      break;
    case 'conversation.create':
    case 'conversation.status':
    case 'conversation.unread':
      break;
    case 'quickReply.create':
    case 'quickReply.update':
    case 'quickReply.delete':
      if (typeof d.from === 'string') parts.push(t('audit.details.renamedFrom', { from: d.from }));
      if (d.bodyChanged === true) parts.push(t('audit.details.bodyChanged'));
      break;
    default:
      return Object.keys(d).length ? shorten(JSON.stringify(d), 120) : '';
  }
  return parts.join(' · ');
}
