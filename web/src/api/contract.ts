// The panel's one door to the server's contract: the types live in src/contract/api.ts and are
// shared, never copied.
export type {
  ApiError,
  AuditEntryDto,
  ChangesDto,
  OutgoingDto,
  PageDto,
  SessionDto,
  SettingsDto,
  TemplateDto,
  ClientToServerEvents,
  ContactDto,
  ConversationDto,
  ListUpdateDto,
  MediaDto,
  MessageChangeDto,
  MessageDto,
  MessageSource,
  MessageStatus,
  ServerToClientEvents,
  UserDto,
} from '../../../src/contract/api.ts';
