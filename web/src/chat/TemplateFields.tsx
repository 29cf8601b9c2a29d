import { useId } from 'react';
import type { Template } from '../api/client.ts';
import { useI18n } from '../i18n/I18nProvider.tsx';
import { templateParts, templateVariables } from './useTemplates.ts';

/** One field per variable of a template, and the final text as WhatsApp will show it. */
export function TemplateFields({ template, values, onChange }: {
  template: Template;
  values: Record<string, string>;
  onChange(values: Record<string, string>): void;
}) {
  const { t } = useI18n();
  const idBase = useId();
  const variables = templateVariables(template);
  return (
    <div className="template-fields">
      {variables.length > 0 && (
        <fieldset>
          <legend>{t('templates.variables')}</legend>
          {variables.map((key) => {
            const id = `${idBase}-${key}`;
            const sample = template.variables[key];
            return (
              <div className="field" key={key}>
                <label htmlFor={id}>{t('templates.variable', { token: `{{${key}}}` })}</label>
                <input
                  id={id}
                  type="text"
                  value={values[key] ?? ''}
                  maxLength={1024}
                  placeholder={sample ? t('templates.example', { sample }) : undefined}
                  onChange={(e) => onChange({ ...values, [key]: e.target.value })}
                  data-testid="template-variable"
                  data-variable={key}
                />
              </div>
            );
          })}
        </fieldset>
      )}
      <div className="template-preview-box">
        <h3 className="small-heading">{t('templates.preview')}</h3>
        <div className="template-preview bubble-like" data-testid="template-preview" data-kind={template.kind} aria-live="polite">
          {template.media.map((url, i) => (
            <p key={`m${i}`} className="template-media" data-testid="template-preview-media">
              <span aria-hidden="true">{/\.(jpe?g|png|gif|webp)$/i.test(url) ? '🖼️ ' : '📄 '}</span>
              <Filled text={mediaName(url)} values={values} />
            </p>
          ))}
          {template.title && <p className="template-title" data-testid="template-preview-title"><Filled text={template.title} values={values} /></p>}
          {template.subtitle && <p className="template-subtitle"><Filled text={template.subtitle} values={values} /></p>}
          {template.body && <p className="template-body"><Filled text={template.body} values={values} /></p>}
          {template.actions.length > 0 && (
            <ul className="template-actions" aria-label={t('templates.buttons')}>
              {template.actions.map((a, i) => (
                <li key={i} className="template-action" data-testid="template-preview-action" data-type={a.type}>
                  <span aria-hidden="true">{a.type === 'URL' ? '↗ ' : a.type === 'PHONE_NUMBER' || a.type === 'VOICE_CALL' ? '📞 ' : a.type === 'COPY_CODE' ? '⧉ ' : '↩ '}</span>
                  <Filled text={a.title} values={values} />
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
    </div>
  );
}

/** A template's text with its variables marked: filled in, or still to fill. */
function Filled({ text, values }: { text: string; values: Record<string, string> }) {
  return (
    <>
      {templateParts(text, values).map((p, i) =>
        'text' in p ? (
          <span key={i}>{p.text}</span>
        ) : (
          <mark key={i} className={p.value ? 'var-filled' : 'var-empty'}>{p.value || `{{${p.variable}}}`}</mark>
        ),
      )}
    </>
  );
}

/** A media header as WhatsApp shows it before it loads: its file's name (the URL's last part). */
const mediaName = (url: string) => url.replace(/[?#].*$/, '').split('/').filter(Boolean).pop() ?? url;

export function allFilled(template: Template, values: Record<string, string>): boolean {
  return templateVariables(template).every((k) => (values[k] ?? '').trim() !== '');
}

/** The values to send: trimmed, one per variable. */
export function filledValues(template: Template, values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(templateVariables(template).map((k) => [k, (values[k] ?? '').trim()]));
}
