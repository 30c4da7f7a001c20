// Date parsing for member exports: explicit formats (DD/MM/YYYY, YYYY-MM-DD HH:mm, ...) because guessing day/month order silently corrupts tenure and recency.
import { ConsortError } from '@consort/core';

/** Milliseconds in a day: every derived duration is reported in (fractional) days. */
export const DAY_MS = 86_400_000;

const TOKENS: Record<string, string> = {
  YYYY: '(?<year>\\d{4})', MM: '(?<month>\\d{1,2})', DD: '(?<day>\\d{1,2})',
  HH: '(?<hour>\\d{1,2})', mm: '(?<minute>\\d{2})', ss: '(?<second>\\d{2})',
};

/** A compiled date format: returns epoch milliseconds (UTC) or null when the text does not match. */
export type DateParser = (text: string) => number | null;

/**
 * Compiles a date format made of YYYY, MM, DD, HH, mm, ss and literal characters, or "iso"
 * (anything Date.parse reads as ISO 8601). Times without a zone are read as UTC so results do
 * not depend on the machine's time zone. A trailing time part is optional, so
 * "YYYY-MM-DD HH:mm" also reads "2011-01-05".
 */
export function compileDateFormat(format: string): DateParser {
  if (format.toLowerCase() === 'iso') {
    return (text) => {
      const s = text.trim();
      if (!/^\d{4}-\d{2}-\d{2}/.test(s)) return null;
      const v = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(s) || s.length <= 10 ? s : `${s.replace(' ', 'T')}Z`);
      return Number.isFinite(v) ? v : null;
    };
  }
  if (!/YYYY/.test(format) || !/MM/.test(format) || !/DD/.test(format)) {
    throw new ConsortError('INVALID_ARGUMENT', `date format "${format}" needs YYYY, MM and DD (e.g. "DD/MM/YYYY" or "YYYY-MM-DD HH:mm"), or "iso"`, { format });
  }
  const toRegex = (f: string) => f.split(/(YYYY|MM|DD|HH|mm|ss)/).filter((p) => p !== '')
    .map((p) => TOKENS[p] ?? p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('');
  const h = format.indexOf('HH');
  // The time part (with the separator before HH) may be absent in the data: "2011-01-05" still reads.
  const full = h < 0 ? `^${toRegex(format)}$`
    : `^${toRegex(format.slice(0, h).replace(/[ T]+$/, ''))}(?:[ T]+${toRegex(format.slice(h))})?$`;
  const re = new RegExp(full);
  return (text) => {
    const m = re.exec(text.trim());
    if (!m?.groups) return null;
    const g = m.groups;
    const y = Number(g.year); const mo = Number(g.month); const d = Number(g.day);
    if (mo < 1 || mo > 12 || d < 1 || d > 31) return null;
    const t = Date.UTC(y, mo - 1, d, Number(g.hour ?? 0), Number(g.minute ?? 0), Number(g.second ?? 0));
    // Date.UTC rolls 31/02 into March: reject dates that do not exist.
    if (new Date(t).getUTCDate() !== d) return null;
    return t;
  };
}

/** Parses a date written in the mapping file itself (cutoff, reference dates): always YYYY-MM-DD. */
export function parseConfigDate(text: unknown, field: string, file: string): number {
  const s = text instanceof Date ? text.toISOString().slice(0, 10) : String(text ?? '');
  const v = compileDateFormat('YYYY-MM-DD')(s);
  if (v === null) {
    throw new ConsortError('INVALID_ARGUMENT', `${file}: "${field}" must be a date written YYYY-MM-DD (got "${s}")`, { file, field });
  }
  return v;
}
