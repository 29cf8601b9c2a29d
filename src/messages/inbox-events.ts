import { EventEmitter } from 'node:events';
import type { AlertPreferencesDto, ServerToClientEvents } from '../contract/api.ts';

/** Whose sessions ended or changed: all of a user's, or one session's (by its token's hash, never the token). */
export type EndedSessions = { userId: string } | { sessionTokenHash: string };

/** Domain events that reach no browser as such. */
export interface SessionEvents {
  /**
   * A user was disabled, changed role or had the password reset (all of the user's sessions), or
   * one session logged out: the realtime module closes their open sockets on every instance.
   */
  'sessions:ended': (ended: EndedSessions) => void;
  /** A user changed their own alerts: the realtime module tells that user's panels (`alerts:updated`). */
  'alerts:changed': (change: { userId: string; alerts: AlertPreferencesDto }) => void;
}

type DomainEvents = ServerToClientEvents & SessionEvents;

/**
 * Domain events, raised after the write that caused them has committed. The realtime module
 * forwards them to browsers; the domain never touches Socket.IO.
 */
export class InboxEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(100);
  }

  emit<E extends keyof DomainEvents>(event: E, ...args: Parameters<DomainEvents[E]>): void {
    this.emitter.emit(event, ...args);
  }

  on<E extends keyof DomainEvents>(event: E, listener: DomainEvents[E]): () => void {
    this.emitter.on(event, listener as (...a: unknown[]) => void);
    return () => this.emitter.off(event, listener as (...a: unknown[]) => void);
  }
}
