/**
 * The LIKE pattern that finds a person's search text anywhere, case and accents ignored: compared
 * with `search_text(column)` (migration 009), whose trigram indexes serve it. `%`, `_` and `\` in
 * the text match themselves. Pushes the text onto `params`.
 */
export function containsPattern(search: string, params: unknown[]): string {
  params.push(search.replace(/[\\%_]/g, (ch) => '\\' + ch));
  return `('%' || search_text($${params.length}) || '%')`;
}

/** What a contact's name search reads: the name we use and WhatsApp's profile name (indexed as contacts_name_search). */
export const CONTACT_NAMES_SEARCH_TEXT = `search_text(coalesce(k.name, '') || ' ' || coalesce(k.profile_name, ''))`;
