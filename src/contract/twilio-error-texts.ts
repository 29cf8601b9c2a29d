// Shared by the server (API error answers) and the panel (failed bubbles): one table, both languages.

/**
 * What Twilio's error codes mean for a front-desk agent, and what to do about them.
 * https://www.twilio.com/docs/api/errors
 */
export const TWILIO_ERROR_TEXTS: Record<number, { es: string; en: string }> = {
  20003: { es: 'Twilio rechazó las credenciales de la cuenta', en: 'Twilio rejected the account credentials' },
  20429: { es: 'Twilio está limitando las solicitudes; intente de nuevo en un momento', en: 'Twilio is limiting requests, try again in a moment' },
  20500: { es: 'Twilio tuvo un error interno y no envió el mensaje; intente de nuevo', en: 'Twilio had an internal error and did not send the message; try again' },
  20503: { es: 'Twilio no está disponible en este momento y no envió el mensaje; intente de nuevo en un momento', en: 'Twilio is unavailable right now and did not send the message; try again in a moment' },
  21211: { es: 'Número de teléfono no válido', en: 'Invalid phone number' },
  21408: { es: 'Los envíos a este país no están habilitados en la cuenta', en: 'Sending to this country is not enabled on the account' },
  21610: { es: 'El cliente se dio de baja de los mensajes', en: 'The customer unsubscribed from messages' },
  21614: { es: 'El número no es un celular válido', en: 'The number is not a valid mobile number' },
  21617: { es: 'El mensaje es demasiado largo', en: 'The message is too long' },
  21654: { es: 'Faltó indicar la plantilla (ContentSid)', en: 'The template (ContentSid) is missing' },
  21655: { es: 'La plantilla no existe o no es válida', en: 'The template does not exist or is invalid' },
  21656: { es: 'Las variables de la plantilla no son válidas', en: 'The template variables are invalid' },
  30003: { es: 'El teléfono del cliente no está disponible (apagado o sin señal)', en: "The customer's phone is unreachable (off or without signal)" },
  30004: { es: 'El mensaje fue bloqueado', en: 'The message was blocked' },
  30005: { es: 'El número de destino no existe', en: 'The destination number does not exist' },
  30006: { es: 'El número es fijo o el operador no puede recibirlo', en: 'Landline or the carrier cannot receive it' },
  30007: { es: 'El operador lo filtró como spam', en: 'Filtered as spam by the carrier' },
  30008: { es: 'Error de entrega desconocido', en: 'Unknown delivery error' },
  30009: { es: 'Faltó una parte del mensaje', en: 'A part of the message is missing' },
  30010: { es: 'El precio del mensaje supera el máximo configurado', en: 'The message price exceeds the configured maximum' },
  63001: { es: 'WhatsApp no pudo autenticar al remitente', en: 'WhatsApp could not authenticate the sender' },
  63003: { es: 'El número no tiene WhatsApp', en: 'The number is not on WhatsApp' },
  63005: { es: 'WhatsApp no aceptó el contenido', en: 'WhatsApp did not accept the content' },
  63007: { es: 'No hay un remitente de WhatsApp configurado para este número', en: 'No WhatsApp sender is set up for this From number' },
  63013: { es: 'El mensaje infringe la política de WhatsApp', en: "The message breaks WhatsApp's policy" },
  63014: { es: 'El cliente bloqueó este número', en: 'The customer blocked this number' },
  63015: { es: 'El cliente no se ha unido al sandbox de WhatsApp', en: 'The customer has not joined the WhatsApp sandbox' },
  63016: { es: 'Fuera de la ventana de 24 horas: use una plantilla', en: 'Outside the 24-hour window: use a template' },
  63018: { es: 'Se superó el límite de envíos de este remitente', en: 'Rate limit exceeded for this WhatsApp sender' },
  63019: { es: 'No se pudo descargar el archivo adjunto', en: 'The attachment could not be downloaded' },
  63020: { es: 'Hay un problema con la cuenta de Meta Business', en: 'There is a problem with the Meta Business account' },
  63021: { es: 'WhatsApp rechazó el contenido por no ser válido', en: 'WhatsApp rejected the content as invalid' },
  63024: { es: 'Destinatario no válido', en: 'Invalid recipient' },
  63027: { es: 'La plantilla no existe en ese idioma', en: 'The template does not exist in that language' },
  63028: { es: 'La cantidad de variables no coincide con la plantilla', en: 'The number of variables does not match the template' },
  63030: { es: 'Parámetro no admitido por WhatsApp', en: 'Parameter not supported by WhatsApp' },
  63032: { es: 'El cliente está en un experimento de Meta y no puede recibir este mensaje', en: 'The customer is in a Meta experiment and cannot receive this message' },
  63049: { es: 'Meta decidió no entregar este mensaje de marketing', en: 'Meta chose not to deliver this marketing message' },
};

/**
 * What wa-inbox itself says about a send when Twilio gave no code: stored in English in the
 * message's error_message, shown in the reader's language.
 */
export const SEND_NOTES = {
  /** The send's answer never came (timeout, dropped connection): Twilio may or may not have the message. */
  unconfirmed: {
    en: 'Twilio did not answer in time; waiting for its confirmation',
    es: 'Twilio no respondió a tiempo; esperando su confirmación',
  },
  /** No answer and no callback for UNCONFIRMED_SEND_TIMEOUT: given up on. */
  neverConfirmed: {
    en: 'Twilio never confirmed this message',
    es: 'Twilio nunca confirmó este mensaje',
  },
} satisfies Record<string, { es: string; en: string }>;

const NOTE_BY_ENGLISH = new Map<string, { es: string; en: string }>(Object.values(SEND_NOTES).map((t) => [t.en, t]));

/** A Twilio error code in words, with the code: our table first, Twilio's own text for codes it lacks. */
export function describeTwilioError(code: number | null, fallback: string | null, lang: 'es' | 'en'): string | null {
  const note = code === null && fallback ? NOTE_BY_ENGLISH.get(fallback) : undefined;
  if (note) return note[lang];
  const known = code !== null ? TWILIO_ERROR_TEXTS[code]?.[lang] : undefined;
  const suffix = code !== null ? ` (${code})` : '';
  if (known) return known + suffix;
  if (fallback) return fallback + suffix;
  return code !== null ? `Twilio${suffix}` : null;
}

/** A Twilio error in both languages, for the server's API answers. */
export function describeTwilioErrorInBoth(code: number | null, fallback: string): { en: string; es: string } {
  return { en: describeTwilioError(code, fallback, 'en')!, es: describeTwilioError(code, `Twilio: ${fallback}`, 'es')! };
}
