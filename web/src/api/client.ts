import type {
  AlertPreferencesDto, ApiError, AssigneeDto, AuditEntryDto, ContactDto, ContactPatchDto, ConversationCountsDto, ConversationDto, ConversationPatchDto, MessageDto,
  MessageSearchHitDto, NewConversationDto, NewConversationResultDto, NoteDto, QuickReplyDto, QuickReplyInputDto, SenderDto, SenderPatchDto, TimelineItemDto, UserDto,
} from './contract.ts';

export type {
  ChangesDto as Changes,
  OutgoingDto as Outgoing,
  PageDto as Page,
  SessionDto as Session,
  SettingsDto as Settings,
  TemplateDto as Template,
} from './contract.ts';
import type { ChangesDto as Changes, OutgoingDto as Outgoing, PageDto as Page, SessionDto as Session, SettingsDto as Settings, TemplateDto as Template } from './contract.ts';

/** A failed API call, carrying the server's ApiError when it sent one. */
export class ApiRequestError extends Error {
  readonly status: number;
  readonly code: string;
  readonly messageEs: string | null;
  readonly twilioCode: number | null;

  constructor(status: number, body: ApiError | null, fallback: string) {
    super(body?.error.message ?? fallback);
    this.name = 'ApiRequestError';
    this.status = status;
    this.code = body?.error.code ?? (status === 0 ? 'network' : 'http_' + status);
    this.messageEs = body?.error.messageEs ?? null;
    this.twilioCode = body?.error.twilioCode ?? null;
  }
}

let onUnauthenticated: () => void = () => {};
/** The session layer learns here that the cookie stopped being valid (expired, user disabled). */
export function setUnauthenticatedHandler(handler: () => void): void {
  onUnauthenticated = handler;
}

function isApiError(v: unknown): v is ApiError {
  const e = (v as { error?: { code?: unknown } } | null)?.error;
  return typeof e === 'object' && e !== null && typeof e.code === 'string';
}

// The session's CSRF token, from the login answer and from /api/auth/me; every write carries it in
// X-CSRF-Token, a header another site's page cannot set on a request to us.
let csrfToken: string | null = null;
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

async function request<T>(method: string, path: string, body?: unknown, o: { quiet401?: boolean; retried?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (WRITES.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, { method, credentials: 'same-origin', headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiRequestError(0, null, err instanceof Error ? err.message : String(err));
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    if (res.status === 401 && !o.quiet401) onUnauthenticated();
    // The token is a session's that ended (a new login in another tab) and the server changed
    // nothing: fetch the current session's token and try once more.
    if (res.status === 403 && isApiError(json) && json.error.code === 'csrf' && !o.retried && WRITES.has(method)) {
      if (await api.me().then(() => true, () => false)) return request<T>(method, path, body, { ...o, retried: true });
    }
    throw new ApiRequestError(res.status, isApiError(json) ? json : null, `HTTP ${res.status}`);
  }
  return json as T;
}

/**
 * A file sent from the panel (multipart, the caption first): XMLHttpRequest rather than fetch, for
 * its upload progress. `onProgress` gets 0..1.
 */
function uploadFile(path: string, file: File, caption: string, onProgress: (fraction: number) => void): Promise<MessageDto> {
  const form = new FormData();
  if (caption) form.append('body', caption);
  form.append('file', file, file.name);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('accept', 'application/json');
    if (csrfToken) xhr.setRequestHeader('x-csrf-token', csrfToken);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new ApiRequestError(0, null, 'network error'));
    xhr.onload = () => {
      let json: unknown = null;
      try {
        json = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        json = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(json as MessageDto);
      if (xhr.status === 401) onUnauthenticated();
      reject(new ApiRequestError(xhr.status, isApiError(json) ? json : null, `HTTP ${xhr.status}`));
    };
    xhr.send(form);
  });
}

const keepCsrfToken = <T extends { csrfToken: string }>(answer: T): T => {
  csrfToken = answer.csrfToken;
  return answer;
};

const qs = (params: Record<string, string | number | null | undefined>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') s.set(k, String(v));
  const out = s.toString();
  return out ? '?' + out : '';
};
const enc = encodeURIComponent;

export const PAGE_SIZE = 50;

export const api = {
  login: (email: string, password: string) =>
    request<{ user: UserDto; csrfToken: string }>('POST', '/api/auth/login', { email, password }, { quiet401: true }).then(keepCsrfToken),
  logout: () =>
    request<unknown>('POST', '/api/auth/logout', {}, { quiet401: true }).finally(() => {
      csrfToken = null;
    }),
  me: () => request<Session>('GET', '/api/auth/me', undefined, { quiet401: true }).then(keepCsrfToken),

  conversations: (o: { q?: string; cursor?: string | null; limit?: number; filter?: Record<string, string> }) =>
    request<Page<ConversationDto>>('GET', '/api/conversations' + qs({ q: o.q, cursor: o.cursor, limit: o.limit ?? PAGE_SIZE, ...o.filter })),
  conversationCounts: (filter: Record<string, string>) => request<ConversationCountsDto>('GET', '/api/conversations/counts' + qs(filter)),
  startConversation: (c: NewConversationDto) => request<NewConversationResultDto>('POST', '/api/conversations', c),
  updateConversation: (id: string, patch: ConversationPatchDto) => request<ConversationDto>('PATCH', `/api/conversations/${enc(id)}`, patch),
  assignees: () => request<{ items: AssigneeDto[] }>('GET', '/api/assignees'),
  conversation: (id: string) => request<ConversationDto>('GET', `/api/conversations/${enc(id)}`),
  searchMessages: (q: string, cursor: string | null) => request<Page<MessageSearchHitDto>>('GET', '/api/search/messages' + qs({ q, cursor, limit: PAGE_SIZE })),
  messages: (id: string, o: { cursor?: string | null; limit?: number }) =>
    request<Page<TimelineItemDto>>('GET', `/api/conversations/${enc(id)}/messages` + qs({ cursor: o.cursor, limit: o.limit ?? PAGE_SIZE })),
  addNote: (id: string, body: string) => request<NoteDto>('POST', `/api/conversations/${enc(id)}/notes`, { body }),
  updateContact: (id: string, patch: ContactPatchDto) => request<ContactDto>('PATCH', `/api/contacts/${enc(id)}`, patch),
  send: (id: string, out: Outgoing) => request<MessageDto>('POST', `/api/conversations/${enc(id)}/messages`, out),
  sendFile: (id: string, file: File, caption: string, onProgress: (fraction: number) => void) =>
    uploadFile(`/api/conversations/${enc(id)}/messages`, file, caption, onProgress),
  markRead: (id: string) => request<ConversationDto | null>('POST', `/api/conversations/${enc(id)}/read`, {}),
  templates: () => request<{ items: Template[] }>('GET', '/api/templates'),
  changes: (after: number) => request<Changes>('GET', '/api/changes' + qs({ after })),

  quickReplies: () => request<{ items: QuickReplyDto[] }>('GET', '/api/quick-replies'),
  createQuickReply: (r: QuickReplyInputDto) => request<QuickReplyDto>('POST', '/api/quick-replies', r),
  updateQuickReply: (id: string, p: Partial<QuickReplyInputDto>) => request<QuickReplyDto>('PATCH', `/api/quick-replies/${enc(id)}`, p),
  deleteQuickReply: (id: string) => request<null>('DELETE', `/api/quick-replies/${enc(id)}`),

  senders: () => request<{ items: SenderDto[] }>('GET', '/api/senders'),
  updateSender: (id: string, p: SenderPatchDto) => request<SenderDto>('PATCH', `/api/senders/${enc(id)}`, p),

  users: () => request<{ items: UserDto[] }>('GET', '/api/users'),
  createUser: (u: { email: string; name: string; password: string; role: UserDto['role'] }) => request<UserDto>('POST', '/api/users', u),
  updateUser: (id: string, p: { name?: string; role?: UserDto['role']; disabled?: boolean; password?: string }) =>
    request<UserDto>('PATCH', `/api/users/${enc(id)}`, p),
  saveSettings: (s: Partial<Settings>) => request<Settings>('PUT', '/api/settings', s),
  /** The signed-in user's own alerts (every user, agents too). */
  saveAlerts: (a: Partial<AlertPreferencesDto>) => request<AlertPreferencesDto>('PATCH', '/api/auth/me/alerts', a),
  audit: (o: { cursor?: string | null; limit?: number }) => request<Page<AuditEntryDto>>('GET', '/api/audit' + qs({ cursor: o.cursor, limit: o.limit ?? PAGE_SIZE })),

  demoInbound: (m: { from: string; body: string; profileName?: string }) => request<unknown>('POST', '/api/demo/inbound', m),
  demoExternalSend: (m: { to: string; body?: string; contentSid?: string; contentVariables?: Record<string, string> }) =>
    request<unknown>('POST', '/api/demo/external-send', m),
};
