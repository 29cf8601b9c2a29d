// Domain failures that the HTTP layer turns into clear answers; each carries both languages
// because the clinic's staff read Spanish and operators may read English.

export class DomainError extends Error {
  constructor(readonly code: string, message: string, readonly messageEs: string, readonly twilioCode?: number) {
    super(message);
    this.name = 'DomainError';
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string, whatEs: string) {
    super('not_found', `${what} not found`, `${whatEs} no encontrado`);
  }
}

export class WindowClosedError extends DomainError {
  constructor() {
    super(
      'window_closed',
      'The 24-hour WhatsApp window is closed: the customer has not written in the last 24 hours. Send an approved template.',
      'La ventana de 24 horas de WhatsApp está cerrada: el cliente no ha escrito en las últimas 24 horas. Envíe una plantilla aprobada.',
    );
  }
}

export class TwilioSendError extends DomainError {
  constructor(message: string, messageEs: string, twilioCode: number | undefined) {
    super('twilio_error', message, messageEs, twilioCode);
  }
}
