import { EventEmitter } from 'node:events';
import type { ServerToClientEvents } from '../realtime/events.ts';

/**
 * Domain events, raised after the write that caused them has committed. The realtime module
 * forwards them to browsers; the domain never touches Socket.IO.
 */
export class InboxEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(100);
  }

  emit<E extends keyof ServerToClientEvents>(event: E, ...args: Parameters<ServerToClientEvents[E]>): void {
    this.emitter.emit(event, ...args);
  }

  on<E extends keyof ServerToClientEvents>(event: E, listener: ServerToClientEvents[E]): () => void {
    this.emitter.on(event, listener as (...a: unknown[]) => void);
    return () => this.emitter.off(event, listener as (...a: unknown[]) => void);
  }
}
