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

/**
 * Twilio's answer to a send never came (timeout, dropped connection). Twilio may have created the
 * message, so it is not reported as failed: sending it again could deliver it twice.
 */
export class TwilioTimeoutError extends DomainError {
  constructor() {
    super(
      'twilio_timeout',
      'Twilio did not answer in time, so we do not know yet whether the message was sent. Do not send it again: it will update here when Twilio confirms it, or show as failed if Twilio never does.',
      'Twilio no respondió a tiempo, así que aún no sabemos si el mensaje se envió. No lo envíe de nuevo: se actualizará aquí cuando Twilio lo confirme, o se mostrará como fallido si Twilio nunca lo confirma.',
    );
  }
}
