/**
 * A timestamptz as text to the microsecond (`2026-11-30T12:00:00.123456Z`), for keyset cursors:
 * PostgreSQL keeps microseconds and a JS Date only milliseconds, so a cursor made from a DTO's
 * time skips the rows of the same millisecond that fall after it.
 */
export const exactTimeText = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
