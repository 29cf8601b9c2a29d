// WhatsApp addresses as Twilio writes them (whatsapp:+573153369631) and phones as we store them (E.164).
const E164 = /^\+[1-9]\d{6,14}$/;

/** The E.164 phone in a Twilio address, or null when it is not a WhatsApp/phone address. */
export function phoneFromAddress(address: string | null | undefined): string | null {
  if (!address) return null;
  const phone = address.replace(/^whatsapp:/, '').trim();
  return E164.test(phone) ? phone : null;
}

/** Whether this is a WhatsApp address with an E.164 phone, exactly as Twilio writes it (no spaces). */
export function isWhatsappAddress(address: string | null | undefined): address is string {
  return !!address && address.startsWith('whatsapp:') && E164.test(address.slice('whatsapp:'.length));
}

export function whatsappAddress(phone: string): string {
  return `whatsapp:${phone}`;
}
