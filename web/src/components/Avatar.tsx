/** The contact's initials in a circle, or a person when there is no name. */
export function Avatar({ name }: { name: string | null }) {
  const initials = (name ?? '')
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => Array.from(w)[0]!.toUpperCase())
    .join('');
  return (
    <span className="avatar" aria-hidden="true">
      {initials || (
        <svg viewBox="0 0 24 24" width="26" height="26" focusable="false">
          <path fill="currentColor" d="M12 12a4.5 4.5 0 1 0 0-9 4.5 4.5 0 0 0 0 9Zm0 2.2c-3.8 0-8 1.9-8 4.6V21h16v-2.2c0-2.7-4.2-4.6-8-4.6Z" />
        </svg>
      )}
    </span>
  );
}
