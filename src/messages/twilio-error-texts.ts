// What Twilio's error codes mean for a front-desk agent, in both languages.
const TEXTS: Record<number, { en: string; es: string }> = {
  63016: { en: 'Outside the 24-hour window: use a template', es: 'Fuera de la ventana de 24 horas: use una plantilla' },
  63003: { en: 'The number is not on WhatsApp', es: 'El número no tiene WhatsApp' },
  63007: { en: 'No WhatsApp sender for this From address', es: 'No hay remitente de WhatsApp para esta dirección' },
  63014: { en: 'The customer blocked this number', es: 'El cliente bloqueó este número' },
  63024: { en: 'Invalid recipient', es: 'Destinatario no válido' },
  63032: { en: 'The customer is in a Meta experiment and cannot receive this message', es: 'El cliente está en un experimento de Meta y no puede recibir este mensaje' },
  63018: { en: 'Rate limit exceeded for this WhatsApp sender', es: 'Se superó el límite de envíos de este remitente' },
  21211: { en: 'Invalid phone number', es: 'Número de teléfono no válido' },
  21610: { en: 'The customer unsubscribed', es: 'El cliente canceló la suscripción' },
  21656: { en: 'Invalid template variables', es: 'Variables de plantilla no válidas' },
  21654: { en: 'Template variables without a template', es: 'Variables de plantilla sin plantilla' },
  21655: { en: 'Unknown template', es: 'Plantilla desconocida' },
  20003: { en: 'Twilio rejected the credentials', es: 'Twilio rechazó las credenciales' },
  20429: { en: 'Twilio is rate limiting requests: try again shortly', es: 'Twilio está limitando las solicitudes: intente de nuevo en un momento' },
  30003: { en: 'The phone is unreachable', es: 'El teléfono no está disponible' },
  30005: { en: 'Unknown destination', es: 'Destino desconocido' },
  30006: { en: 'The destination cannot receive this message', es: 'El destino no puede recibir este mensaje' },
  30007: { en: 'Filtered as spam by the carrier', es: 'El operador lo filtró como spam' },
  30008: { en: 'Unknown delivery error', es: 'Error de entrega desconocido' },
};

export function describeTwilioError(code: number | null, fallback: string): { en: string; es: string } {
  const known = code !== null ? TEXTS[code] : undefined;
  const suffix = code !== null ? ` (${code})` : '';
  return known ? { en: known.en + suffix, es: known.es + suffix } : { en: fallback + suffix, es: `Twilio: ${fallback}${suffix}` };
}
