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
  {
    friendlyName: 'jornada_empresarial',
    language: 'es',
    category: 'MARKETING',
    approval: 'pending',
    body: 'Jornada de exámenes ocupacionales para su empresa este {{1}}. Agende respondiendo a este mensaje.',
    variables: { 1: 'sábado' },
  },
];
