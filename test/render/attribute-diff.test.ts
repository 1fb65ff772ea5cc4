import { expect } from 'chai';
import { Sensitive, UNKNOWN, type Value } from '../../src/evaluate/value.js';
import { diffAttributes } from '../../src/render/attribute-diff.js';
import { diffBodyLines, type DiffStyle } from '../../src/render/diff-lines.js';

/** The lines as the text renderer lays them out, without its indentation. */
function lines(before: Record<string, Value> | null, after: Record<string, Value> | null, style: DiffStyle = 'terraform', replacePaths: string[] = []): string[] {
  return diffBodyLines(diffAttributes(before, after, replacePaths), style, { identifying: true }).map(
    (l) => `${'    '.repeat(l.depth)}${l.marker} ${l.text}${l.note ? ` ${l.note}` : ''}`,
  );
}

describe('attribute diffs', () => {
  it('show changed attributes, identifying ones, and count the rest', () => {
    expect(lines({ a: 1, b: 2, label: 'x', z: 'same' }, { a: 1, b: 3, label: 'x', z: 'same' }, 'terraform', ['b'])).to.deep.equal([
      '~ b     = 2 -> 3 # forces replacement',
      '  label = "x"',
      '  # (2 unchanged attributes hidden)',
    ]);
  });

  it('show a change as a - line and a + line in the unified style', () => {
    expect(lines({ b: 2 }, { b: UNKNOWN }, 'unified')).to.deep.equal(['- b = 2', '+ b = (known after apply)']);
  });

  it('show created and deleted attributes whole', () => {
    expect(lines(null, { tags: { env: 'prod' }, ports: [53] })).to.deep.equal(['+ ports = [', '    + 53,', '  ]', '+ tags  = {', '    + env = "prod"', '  }']);
    expect(lines({ tags: ['a'] }, null)).to.deep.equal(['- tags = [', '    - "a",', '  ] -> null']);
    expect(lines({ tags: ['a'] }, null, 'unified')).to.deep.equal(['- tags = [', '    - "a",', '- ]']);
  });

  it('diff lists element by element, and pair changed objects in them', () => {
    expect(lines({ l: [1, 2, 3, { p: 1, q: 1 }] }, { l: [1, 3, 4, { p: 2, q: 1 }] })).to.deep.equal([
      '~ l = [',
      '      # (1 unchanged element hidden)',
      '    - 2,',
      '      # (1 unchanged element hidden)',
      '    ~ {',
      '        ~ p = 1 -> 2',
      '          # (1 unchanged attribute hidden)',
      '      },',
      '    + 4,',
      '  ]',
    ]);
  });

  it('diff multi-line strings line by line, with three lines of context', () => {
    const before = Array.from({ length: 12 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
    const after = before.replace('line 6\n', 'line six\n');
    expect(lines({ text: before }, { text: after })).to.deep.equal([
      '~ text = <<-EOT',
      '      # (2 unchanged lines hidden)',
      '      line 3',
      '      line 4',
      '      line 5',
      '    - line 6',
      '    + line six',
      '      line 7',
      '      line 8',
      '      line 9',
      '      # (3 unchanged lines hidden)',
      '  EOT',
    ]);
  });

  it('show a multi-line string that becomes unknown as its old text in a heredoc, then -> (known after apply), as Terraform does', () => {
    const config = 'server {\n  listen 80;\n}\n';
    expect(lines({ config, id: 'a' }, { config: UNKNOWN, id: 'a' })).to.deep.equal([
      '~ config = <<-EOT',
      '      server {',
      '        listen 80;',
      '      }',
      '  EOT -> (known after apply)',
      '  id     = "a"',
    ]);
    expect(lines({ config }, { config: UNKNOWN }, 'unified')).to.deep.equal(['- config = <<-EOT', '    - server {', '    -   listen 80;', '    - }', '- EOT', '+ config = (known after apply)']);
    // Inside a changed block too, with the forces-replacement note on the first line.
    expect(lines({ b: { config } }, { b: { config: UNKNOWN } }, 'terraform', ['b.config'])).to.deep.equal([
      '~ b = {',
      '    ~ config = <<-EOT # forces replacement',
      '          server {',
      '            listen 80;',
      '          }',
      '      EOT -> (known after apply)',
      '  }',
    ]);
  });

  it('hide null attributes of a created object (Terraform does), but keep a value that becomes null in an update', () => {
    expect(lines(null, { name: 'ns1', rcode: null, tags: { env: null, team: 'dns' } })).to.deep.equal(['+ name = "ns1"', '+ tags = {', '    + team = "dns"', '  }']);
    expect(lines({ name: 'ns1', rcode: 'NOERROR' }, { name: 'ns1', rcode: null })).to.deep.equal(['  name  = "ns1"', '~ rcode = "NOERROR" -> null']);
    expect(lines({ name: 'ns1', tags: { team: 'dns' } }, { name: 'ns1', tags: { env: null, team: 'dns' } })).to.deep.equal([
      '  name = "ns1"',
      '~ tags = {',
      '    + env = null',
      '      # (1 unchanged attribute hidden)',
      '  }',
    ]);
  });

  it('never look inside sensitive values, even multi-line ones', () => {
    expect(lines({ key: new Sensitive('a\nb\n') }, { key: new Sensitive('a\nc\n') })).to.deep.equal(['~ key = (sensitive value) -> (sensitive value)']);
    expect(lines({ key: new Sensitive('same') }, { key: new Sensitive('same') })).to.deep.equal(['  # (1 unchanged attribute hidden)']);
    expect(lines({ key: 'plain' }, { key: new Sensitive('plain') })).to.deep.equal(['~ key = "plain" -> (sensitive value)']);
  });

  it('quote keys that are not identifiers', () => {
    expect(lines(null, { m: { 'a b': 1, ok: 2 } })).to.deep.equal(['+ m = {', '    + "a b" = 1', '    + ok    = 2', '  }']);
  });
});
