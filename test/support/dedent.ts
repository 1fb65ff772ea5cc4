/**
 * Template tag for readable multi-line expectations: drops the first line if blank, removes the
 * common indentation, and ends with a newline when the closing backtick sits on its own line.
 *
 *     dedent`
 *       a = 1
 *     ` === 'a = 1\n'
 */
export function dedent(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = strings.reduce((acc, s, i) => acc + s + (i < values.length ? String(values[i]) : ''), '');
  const lines = text.split('\n');
  if (lines[0].trim() === '') lines.shift();
  const endsWithNewline = lines.length > 0 && lines[lines.length - 1].trim() === '';
  if (endsWithNewline) lines.pop();
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)?.[0].length ?? 0);
  const indent = indents.length === 0 ? 0 : Math.min(...indents);
  const body = lines.map((l) => l.slice(indent)).join('\n');
  return endsWithNewline ? `${body}\n` : body;
}
