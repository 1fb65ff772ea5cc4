/** Printing diagnostics: the exact text `infra validate` shows, and the `--json` form. */
import { expect } from 'chai';
import { stripVTControlCharacters } from 'node:util';
import { error, warning, type Diagnostic, type SourceRange } from '../../src/diagnostics.js';
import { LineMap } from '../../src/parser/positions.js';
import { diagnosticsToJson, formatDiagnostic } from '../../src/render/diagnostics.js';
import { dedent } from '../support/dedent.js';

const cwd = '/work/project';
const file = '/work/project/main.infra';

/** A range in `source` from the first `from` to `from.length` characters on (or `length`). */
function rangeOf(source: string, from: string, length = from.length, path = file): SourceRange {
  const start = source.indexOf(from);
  if (start < 0) throw new Error(`no ${from}`);
  return new LineMap(path, source).range(start, start + length);
}

function print(d: Diagnostic, sources: Record<string, string> = {}, color = false): string {
  return formatDiagnostic(d, { sources: new Map(Object.entries(sources)), cwd, color });
}

const main = `${'\n'.repeat(11)}  serial = var.serail\n`;

describe('render: diagnostics as text', () => {
  it('prints the location line, the source line, carets and the detail', () => {
    // (The example says 12:9 for this line, but its carets - and the column of "var" -
    // say 12:12; the column printed is the range's, so they always agree.)
    const d = error('Reference to undeclared variable "serail"', 'Did you mean "serial"?', rangeOf(main, 'var.serail'));
    expect(print(d, { [file]: main })).to.equal(dedent`
      main.infra:12:12: Error: Reference to undeclared variable "serail"
         12 |   serial = var.serail
            |            ^^^^^^^^^^
      Did you mean "serial"?`);
  });

  it('prints warnings, and several detail lines', () => {
    const source = 'a = 1\n';
    const d = warning('Something odd', 'First line.\nSecond line.', rangeOf(source, 'a'));
    expect(print(d, { [file]: source })).to.equal(dedent`
      main.infra:1:1: Warning: Something odd
          1 | a = 1
            | ^
      First line.
      Second line.`);
  });

  it('without a range: the severity line and the detail', () => {
    expect(print(error('No configuration files', 'There are no .infra files in the directory.'))).to.equal(
      'Error: No configuration files\nThere are no .infra files in the directory.',
    );
    expect(print(warning('Careful'))).to.equal('Warning: Careful');
  });

  it('without the source text: the location line and the detail', () => {
    const d = error('Broken', 'Detail.', rangeOf('x = 1\n', 'x'));
    expect(print(d)).to.equal('main.infra:1:1: Error: Broken\nDetail.');
  });

  it('clips a multi-line range to its first line; a zero-width range gets one caret', () => {
    const source = 'a = [\n  1,\n]\n';
    expect(print(error('Multi', undefined, rangeOf(source, '[', 9)), { [file]: source })).to.equal(dedent`
      main.infra:1:5: Error: Multi
          1 | a = [
            |     ^`);
    expect(print(error('Here', undefined, rangeOf(source, '1', 0)), { [file]: source })).to.equal(dedent`
      main.infra:2:3: Error: Here
          2 |   1,
            |   ^`);
  });

  it('a range at the end of a line points just past it', () => {
    const source = 'a =\nb = 1\n';
    expect(print(error('Expected an expression after "="', undefined, rangeOf(source, '\n', 0)), { [file]: source })).to.equal(dedent`
      main.infra:1:4: Error: Expected an expression after "="
          1 | a =
            |    ^`);
  });

  it('keeps tabs under the source line so carets line up', () => {
    const source = '\tvalue = bad\n';
    expect(print(error('Tab', undefined, rangeOf(source, 'bad')), { [file]: source })).to.equal(
      'main.infra:1:10: Error: Tab\n    1 | \tvalue = bad\n      | \t        ^^^',
    );
  });

  it('widens the gutter for line numbers over 9999', () => {
    const source = `${'\n'.repeat(12344)}x = 1\n`;
    expect(print(error('Far', undefined, rangeOf(source, 'x')), { [file]: source })).to.equal(dedent`
      main.infra:12345:1: Error: Far
       12345 | x = 1
             | ^`);
  });

  it('shows a window of a very long line', () => {
    const source = `a = ${'x + '.repeat(100)}oops\n`;
    const printed = print(error('Long', undefined, rangeOf(source, 'oops')), { [file]: source });
    const [, line, carets] = printed.split('\n');
    expect(line.length).to.be.lessThan(140);
    expect(line).to.match(/^ {4}1 \| \.\.\.x \+ .*oops$/);
    expect(carets.indexOf('^')).to.equal(line.indexOf('oops'));
    expect(carets.trimEnd()).to.match(/^ {6}\| +\^{4}$/);
  });

  it('shows control characters as visible stand-ins', () => {
    const source = 'a = 1\u0000\u0007\n';
    expect(print(error('Bad', undefined, rangeOf(source, '\u0000', 2)), { [file]: source })).to.equal(
      'main.infra:1:6: Error: Bad\n    1 | a = 1\ufffd\ufffd\n      |      ^^',
    );
  });

  it('prints paths relative to the working directory, and pseudo-files as they are', () => {
    const source = 'x = 1\n';
    const nested = rangeOf(source, 'x', 1, '/work/project/env/prod.infra');
    expect(print(error('E', undefined, nested)).split('\n')[0]).to.equal('env/prod.infra:1:1: Error: E');
    const outside = rangeOf(source, 'x', 1, '/elsewhere/a.infra');
    expect(print(error('E', undefined, outside)).split('\n')[0]).to.equal('../../elsewhere/a.infra:1:1: Error: E');
    const relative = rangeOf(source, 'x', 1, 'main.infra');
    expect(print(error('E', undefined, relative)).split('\n')[0]).to.equal('main.infra:1:1: Error: E');
    const value = rangeOf(source, 'x', 1, '<value>');
    expect(print(error('E', undefined, value)).split('\n')[0]).to.equal('<value>:1:1: Error: E');
  });

  it('colours: red errors, yellow warnings, bold summary; same text without the colour codes', () => {
    const d = error('Reference to undeclared variable "serail"', 'Did you mean "serial"?', rangeOf(main, 'var.serail'));
    const coloured = print(d, { [file]: main }, true);
    expect(coloured).to.include('\u001b[31m');
    expect(coloured).to.include('\u001b[1mReference to undeclared variable "serail"');
    expect(stripVTControlCharacters(coloured)).to.equal(print(d, { [file]: main }));
    expect(print(warning('W', undefined, rangeOf(main, 'var')), { [file]: main }, true)).to.include('\u001b[33m');
  });
});

describe('render: diagnostics as JSON', () => {
  it('plain data with the file relative to cwd; null for what is absent', () => {
    const d = error('Reference to undeclared variable "serail"', 'Did you mean "serial"?', rangeOf(main, 'var.serail'));
    expect(diagnosticsToJson([d, warning('No range')], cwd)).to.deep.equal([
      {
        severity: 'error',
        summary: 'Reference to undeclared variable "serail"',
        detail: 'Did you mean "serial"?',
        range: {
          file: 'main.infra',
          start: { line: 12, column: 12, offset: 22 },
          end: { line: 12, column: 22, offset: 32 },
        },
      },
      { severity: 'warning', summary: 'No range', detail: null, range: null },
    ]);
  });
});
