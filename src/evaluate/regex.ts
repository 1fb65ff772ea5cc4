/**
 * Terraform's regular expressions are RE2 (Go's `regexp`); this runs them on JavaScript's
 * `RegExp` (always with the `u` flag, so `.` and classes work on code points) after a small
 * translation, and refuses the constructs the two read differently instead of guessing:
 * - translated: `(?P<name>` -> `(?<name>`; leading flag groups `(?i)`, `(?s)`, `(?m)` (and
 *   combinations) -> RegExp flags; `\pL` -> `\p{L}`; `\x{HHHH}` -> `\u{HHHH}`; `\A` and `\z`
 *   -> `^`/`$` when `m` is off; RE2's escaped punctuation (`\-`, `\#`, ...) -> the character;
 * - refused (not RE2, or read differently): backreferences `\1`, lookaround `(?=`, `(?!`,
 *   `(?<=`, `(?<!`, flag groups anywhere but the start, `(?U)`, `\Q...\E`, `\C`, `\Z`, POSIX
 *   classes `[[:alpha:]]`.
 * Replacement templates use Go's `$1`, `${1}`, `$name`, `${name}`, `$$` (see `expandTemplate`).
 */

/** A translated pattern, or why it cannot be run. */
export type Translated = { readonly regexp: RegExp } | { readonly error: string };

/** ASCII punctuation RE2 lets you escape that `u`-mode RegExp would reject (outside `[...]` too). */
const SYNTAX = new Set('^$\\.*+?()[]{}|/');

export function translateRegex(pattern: string, global = false): Translated {
  let flags = 'u' + (global ? 'g' : '');
  let i = 0;
  const lead = /^\(\?([imsU]+)\)/.exec(pattern);
  if (lead) {
    if (lead[1].includes('U')) return { error: 'the ungreedy flag (?U) is not supported; write lazy quantifiers (*?, +?) instead' };
    for (const f of new Set(lead[1])) flags += f;
    i = lead[0].length;
  }
  const multiline = flags.includes('m');
  let out = '';
  let inClass = false;
  while (i < pattern.length) {
    const ch = pattern[i];
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) return { error: 'the pattern ends with a lone backslash' };
      if (/[1-9]/.test(next)) return { error: `backreferences (\\${next}) are not supported by RE2` };
      if (next === 'Q' || next === 'E') return { error: '\\Q...\\E quoting is not supported; escape each character instead' };
      if (next === 'C' || next === 'Z') return { error: `\\${next} is not supported` };
      if ((next === 'A' || next === 'z') && !inClass) {
        if (multiline) return { error: `\\${next} is not supported together with the (?m) flag` };
        out += next === 'A' ? '^' : '$';
        i += 2;
        continue;
      }
      if ((next === 'p' || next === 'P') && pattern[i + 2] !== '{' && /[A-Za-z]/.test(pattern[i + 2] ?? '')) {
        out += `\\${next}{${pattern[i + 2]}}`;
        i += 3;
        continue;
      }
      if (next === 'x' && pattern[i + 2] === '{') {
        out += '\\u';
        i += 2;
        continue;
      }
      if (/[!-/:-@[-`{-~]/.test(next) && !SYNTAX.has(next) && !(inClass && next === '-')) {
        out += `\\x${next.charCodeAt(0).toString(16).padStart(2, '0')}`;
        i += 2;
        continue;
      }
      out += ch + next;
      i += 2;
      continue;
    }
    if (inClass) {
      if (ch === '[' && pattern[i + 1] === ':') return { error: 'POSIX classes like [[:alpha:]] are not supported; write [a-zA-Z] or \\p{L}' };
      if (ch === ']') inClass = false;
      out += ch;
      i++;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      out += ch;
      i++;
      if (pattern[i] === '^') {
        out += '^';
        i++;
      }
      // A `]` first in a class is a literal in RE2.
      if (pattern[i] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (ch === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2);
      if (rest.startsWith('P<')) {
        out += '(?<';
        i += 4;
        continue;
      }
      if (rest.startsWith('=') || rest.startsWith('!') || rest.startsWith('<=') || rest.startsWith('<!')) {
        return { error: 'lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported by RE2' };
      }
      if (/^[imsU-]+[:)]/.test(rest)) return { error: 'flag groups such as (?i) are supported only at the very start of the pattern' };
    }
    out += ch;
    i++;
  }
  try {
    return { regexp: new RegExp(out, flags) };
  } catch (e) {
    return { error: (e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '') };
  }
}

/** Go's `Regexp.Expand`: `$1`, `${1}`, `$name`, `${name}` (longest name), `$$`; unknown names are empty. */
export function expandTemplate(template: string, match: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i];
    if (ch !== '$') {
      out += ch;
      continue;
    }
    if (template[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    let end = i;
    if (template[i + 1] === '{') {
      const close = template.indexOf('}', i + 2);
      const inner = close < 0 ? '' : template.slice(i + 2, close);
      if (/^\w+$/.test(inner)) {
        name = inner;
        end = close;
      }
    } else {
      const m = /^\w+/.exec(template.slice(i + 1));
      if (m) {
        name = m[0];
        end = i + m[0].length;
      }
    }
    if (name === undefined) {
      out += '$';
      continue;
    }
    out += (/^\d+$/.test(name) ? match[Number(name)] : match.groups?.[name]) ?? '';
    i = end;
  }
  return out;
}
