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
        <p className="template-preview bubble-like" data-testid="template-preview" aria-live="polite">
          {templateParts(template.body, values).map((p, i) =>
            'text' in p ? (
              <span key={i}>{p.text}</span>
            ) : (
              <mark key={i} className={p.value ? 'var-filled' : 'var-empty'}>{p.value || `{{${p.variable}}}`}</mark>
            ),
          )}
        </p>
      </div>
    </div>
  );
}

export function allFilled(template: Template, values: Record<string, string>): boolean {
  return templateVariables(template).every((k) => (values[k] ?? '').trim() !== '');
}

/** The values to send: trimmed, one per variable. */
export function filledValues(template: Template, values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(templateVariables(template).map((k) => [k, (values[k] ?? '').trim()]));
}
