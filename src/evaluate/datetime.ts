/**
 * RFC 3339 timestamps and Terraform's `formatdate` specification language. A timestamp keeps the
 * offset it was written with: `formatdate` prints the time in that offset, as Terraform does.
 */

export interface Timestamp {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** Minutes east of UTC; null for `Z`. */
  readonly offset: number | null;
  /** 0 = Sunday. */
  readonly weekday: number;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Parses an RFC 3339 timestamp; a reason when it is not one. */
export function parseTimestamp(text: string): Timestamp | string {
  const m = RFC3339.exec(text);
  if (!m) return `"${text}" is not an RFC 3339 timestamp (like "2018-01-02T23:12:01Z")`;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > days || hour > 23 || minute > 59 || second > 59) return `"${text}" is not a valid date and time`;
  const offset = m[7] !== undefined ? null : (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10]));
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return { year, month, day, hour, minute, second, offset, weekday };
}

/** The current time as Terraform's `timestamp()` gives it: UTC, whole seconds. */
export function nowTimestamp(now: Date = new Date()): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function offsetText(t: Timestamp, colon: boolean): string {
  const o = t.offset ?? 0;
  const a = Math.abs(o);
  return `${o < 0 ? '-' : '+'}${pad(Math.floor(a / 60))}${colon ? ':' : ''}${pad(a % 60)}`;
}

/** Formats `t` by a `formatdate` specification; a reason when the specification is invalid. */
export function formatDate(spec: string, t: Timestamp): string | { error: string } {
  let out = '';
  let i = 0;
  while (i < spec.length) {
    const ch = spec[i];
    if (ch === "'") {
      // '' is a literal quote, both alone and inside quoted text.
      if (spec[i + 1] === "'") {
        out += "'";
        i += 2;
        continue;
      }
      let j = i + 1;
      for (;;) {
        if (j >= spec.length) return { error: 'the specification has an unterminated quoted literal' };
        if (spec[j] === "'" && spec[j + 1] === "'") {
          out += "'";
          j += 2;
        } else if (spec[j] === "'") break;
        else out += spec[j++];
      }
      i = j + 1;
      continue;
    }
    if (!/[A-Za-z]/.test(ch)) {
      out += ch;
      i++;
      continue;
    }
    let j = i;
    while (j < spec.length && spec[j] === ch) j++;
    const seq = spec.slice(i, j);
    i = j;
    const h12 = t.hour % 12 === 0 ? 12 : t.hour % 12;
    switch (seq) {
      case 'YYYY':
        out += pad(t.year, 4);
        break;
      case 'YY':
        out += pad(t.year % 100);
        break;
      case 'MMMM':
        out += MONTHS[t.month - 1];
        break;
      case 'MMM':
        out += MONTHS[t.month - 1].slice(0, 3);
        break;
      case 'MM':
        out += pad(t.month);
        break;
      case 'M':
        out += String(t.month);
        break;
      case 'DD':
        out += pad(t.day);
        break;
      case 'D':
        out += String(t.day);
        break;
      case 'EEEE':
        out += DAYS[t.weekday];
        break;
      case 'EEE':
        out += DAYS[t.weekday].slice(0, 3);
        break;
      case 'hh':
        out += pad(t.hour);
        break;
      case 'h':
        out += String(t.hour);
        break;
      case 'HH':
        out += pad(h12);
        break;
      case 'H':
        out += String(h12);
        break;
      case 'AA':
        out += t.hour < 12 ? 'AM' : 'PM';
        break;
      case 'aa':
        out += t.hour < 12 ? 'am' : 'pm';
        break;
      case 'mm':
        out += pad(t.minute);
        break;
      case 'm':
        out += String(t.minute);
        break;
      case 'ss':
        out += pad(t.second);
        break;
      case 's':
        out += String(t.second);
        break;
      case 'ZZZZZ':
        out += offsetText(t, true);
        break;
      case 'ZZZZ':
        out += offsetText(t, false);
        break;
      case 'ZZZ':
        out += t.offset === null || t.offset === 0 ? 'UTC' : offsetText(t, false);
        break;
      case 'Z':
        out += t.offset === null ? 'Z' : offsetText(t, true);
        break;
      default:
        return { error: `invalid date format verb "${seq}": letters other than the documented sequences must be quoted ('like this')` };
    }
  }
  return out;
}
