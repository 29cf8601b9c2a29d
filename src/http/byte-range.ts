/** The bytes a Range header asks for, inclusive: `start`..`end`. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * One range of `bytes=a-b`, `bytes=a-` or `bytes=-n` over a file of `size` bytes (players seek
 * with these). null: the whole file (no header, or one we do not take: several ranges, another
 * unit; a server may ignore Range). 'unsatisfiable': it starts past the end (416).
 */
export function parseByteRange(header: string | undefined, size: number): ByteRange | null | 'unsatisfiable' {
  const m = header ? /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}
