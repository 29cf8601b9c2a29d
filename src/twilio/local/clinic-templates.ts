import type { LocalTemplate } from './store.ts';

/**
 * The Content API templates a local account starts with: what an occupational-health clinic in
 * Colombia has approved on WhatsApp. The first one must keep a {{1}} (the panel's browser test
 * fills the first template's variables). One stays pending so "approved only" filters are tested.
 */
export const CLINIC_TEMPLATES: Omit<LocalTemplate, 'sid'>[] = [
  {
    friendlyName: 'recordatorio_examen',
    language: 'es',
    category: 'UTILITY',
    approval: 'approved',
    body: 'Hola {{1}}, le recordamos su examen ocupacional el {{2}} a las {{3}}.',
    variables: { 1: 'Ana', 2: '3 de diciembre', 3: '8:00 a. m.' },
  },
  {
    friendlyName: 'resultados_listos',
    language: 'es',
    category: 'UTILITY',
    approval: 'approved',
    body: 'Hola {{1}}, los resultados de su examen {{2}} ya están listos. Puede descargarlos en nuestro portal o recogerlos en la sede {{3}}.',
    variables: { 1: 'Carlos', 2: 'de ingreso', 3: 'Chapinero' },
  },
  {
    friendlyName: 'bienvenida',
    language: 'es',
    category: 'UTILITY',
    approval: 'approved',
    body: 'Hola {{1}}, bienvenido a la Clínica de Salud Ocupacional. Por este medio le enviaremos sus citas y resultados.',
    variables: { 1: 'María' },
  },
  {
    friendlyName: 'reactivar_conversacion',
    language: 'es',
    category: 'UTILITY',
    approval: 'approved',
    body: 'Hola {{1}}, tenemos una actualización sobre su trámite. ¿Podemos continuar por este medio?',
    variables: { 1: 'Jorge' },
  },
  // One of each rich type WhatsApp takes through Twilio, as the clinic would use them.
  {
    friendlyName: 'certificado_aptitud',
    language: 'es',
    category: 'UTILITY',
    approval: 'approved',
    body: 'Hola {{1}}, adjuntamos su certificado de aptitud laboral.',
    types: {
      'twilio/media': { body: 'Hola {{1}}, adjuntamos su certificado de aptitud laboral.', media: ['https://clinica.example/certificados/{{2}}'] },
    },
    variables: { 1: 'Ana', 2: 'certificado-ana.pdf' },
  },
  {
    friendlyName: 'confirmar_cita',
    language: 'es',
    category: 'UTILITY',
    approval: 'approved',
    body: 'Hola {{1}}, ¿confirma su cita del {{2}}?',
    types: {
      'twilio/quick-reply': {
        body: 'Hola {{1}}, ¿confirma su cita del {{2}}?',
        actions: [{ title: 'Confirmo', id: 'confirmar' }, { title: 'Reprogramar', id: 'reprogramar' }, { title: 'Cancelar cita', id: 'cancelar' }],
      },
      'twilio/text': { body: 'Hola {{1}}, ¿confirma su cita del {{2}}? Responda SÍ o NO.' },
    },
    variables: { 1: 'Carlos', 2: 'lunes 7 de diciembre' },
  },
  {
    friendlyName: 'portal_resultados',
    language: 'es',
    category: 'UTILITY',
    approval: 'approved',
    body: 'Hola {{1}}, sus resultados están en el portal.',
    types: {
      'twilio/call-to-action': {
        body: 'Hola {{1}}, sus resultados están en el portal.',
        actions: [
          { type: 'URL', title: 'Ver resultados', url: 'https://clinica.example/resultados/{{2}}' },
          { type: 'PHONE_NUMBER', title: 'Llamar a la clínica', phone: '+576015550100' },
        ],
      },
    },
    variables: { 1: 'María', 2: 'ABC123' },
  },
  {
    friendlyName: 'jornada_salud',
    language: 'es',
    category: 'MARKETING',
    approval: 'approved',
    body: 'Jornada de salud ocupacional',
    types: {
      'twilio/card': {
        title: 'Jornada de salud ocupacional',
        subtitle: 'Este {{1}} en la sede {{2}}',
        media: ['https://clinica.example/jornada.jpg'],
        actions: [{ type: 'QUICK_REPLY', title: 'Quiero ir', id: 'ir' }, { type: 'URL', title: 'Más información', url: 'https://clinica.example/jornada' }],
      },
    },
    variables: { 1: 'sábado', 2: 'Chapinero' },
  },
  {
    friendlyName: 'jornada_empresarial',
    language: 'es',
    category: 'MARKETING',
    approval: 'pending',
    body: 'Jornada de exámenes ocupacionales para su empresa este {{1}}. Agende respondiendo a este mensaje.',
    variables: { 1: 'sábado' },
  },
];
