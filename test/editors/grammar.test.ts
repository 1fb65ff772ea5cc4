/**
 * The TextMate grammar of editors/vscode, run headlessly by the engine VS Code uses
 * (vscode-textmate with the Oniguruma regular expressions of vscode-oniguruma). Golden folders
 * in test/fixtures/editors/grammar/<case>/ hold `input.infra` and `expected.txt`: one line per
 * token that is not plain whitespace, `LINE:COLUMN "TEXT" scope scope...` without the root
 * `source.infra` (`UPDATE_GOLDENS=1` rewrites them: review the diff). The spot checks below
 * state the scopes a theme relies on.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import oniguruma from 'vscode-oniguruma';
import textmate from 'vscode-textmate';
import { caseFolders, expectGolden } from '../support/golden.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const extension = join(repo, 'editors', 'vscode');
const root = join(repo, 'test', 'fixtures', 'editors', 'grammar');
const require = createRequire(import.meta.url);

interface Token {
  readonly line: number;
  readonly column: number;
  readonly text: string;
  readonly scopes: readonly string[];
}

let grammar: textmate.IGrammar;

before(async () => {
  const wasm = readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName: string) => {
      if (scopeName !== 'source.infra') return null;
      const path = join(extension, 'syntaxes', 'infra.tmLanguage.json');
      return textmate.parseRawGrammar(readFileSync(path, 'utf8'), path);
    },
  });
  const loaded = await registry.loadGrammar('source.infra');
  if (loaded === null) throw new Error('the grammar source.infra did not load');
  grammar = loaded;
});

function tokenize(source: string): Token[] {
  const out: Token[] = [];
  let state = textmate.INITIAL;
  source.split('\n').forEach((text, i) => {
    const r = grammar.tokenizeLine(text, state);
    for (const t of r.tokens) {
      const piece = text.slice(t.startIndex, t.endIndex);
      const scopes = t.scopes.slice(1);
      if (piece.trim() === '' && scopes.length === 0) continue;
      out.push({ line: i + 1, column: t.startIndex + 1, text: piece, scopes });
    }
    state = r.ruleStack;
  });
  return out;
}

function render(tokens: readonly Token[]): string {
  return tokens.map((t) => `${t.line}:${t.column} ${JSON.stringify(t.text)} ${t.scopes.join(' ')}`.trimEnd() + '\n').join('');
}

/** The innermost scopes of the first token with this text on the given line. */
function scopesOf(source: string, line: number, text: string): readonly string[] {
  const t = tokenize(source).find((x) => x.line === line && x.text === text);
  expect(t, `no token ${JSON.stringify(text)} on line ${line}`).to.not.equal(undefined);
  return (t as Token).scopes;
}

describe('editor grammar (editors/vscode): golden fixtures', () => {
  const cases = caseFolders(root);

  it('has fixture folders', () => {
    expect(cases.length).to.be.greaterThan(4);
  });

  for (const name of cases) {
    it(name, () => {
      const dir = join(root, name);
      expectGolden(render(tokenize(readFileSync(join(dir, 'input.infra'), 'utf8'))), join(dir, 'expected.txt'));
    });
  }
});

describe('editor grammar (editors/vscode): the scopes themes rely on', () => {
  it('comments of the three kinds', () => {
    const src = '# hash\n// slashes\n/* block\n   still */ a = 1\n';
    expect(scopesOf(src, 1, ' hash')).to.deep.equal(['comment.line.number-sign.infra']);
    expect(scopesOf(src, 2, ' slashes')).to.deep.equal(['comment.line.double-slash.infra']);
    expect(scopesOf(src, 4, '   still ')).to.deep.equal(['comment.block.infra']);
    expect(scopesOf(src, 4, 'a')).to.deep.equal(['variable.other.property.infra']);
  });

  it('strings with escapes, interpolations and directives', () => {
    const src = 'a = "x\\n${var.name}%{ if local.on }y%{ endif }$${lit}"\n';
    expect(scopesOf(src, 1, '\\n')).to.deep.equal(['string.quoted.double.infra', 'constant.character.escape.infra']);
    expect(scopesOf(src, 1, '${')).to.deep.equal(['string.quoted.double.infra', 'meta.interpolation.infra', 'punctuation.section.interpolation.begin.infra']);
    expect(scopesOf(src, 1, 'var')).to.deep.equal(['string.quoted.double.infra', 'meta.interpolation.infra', 'source.infra.embedded', 'variable.language.infra']);
    expect(scopesOf(src, 1, 'if')).to.deep.equal(['string.quoted.double.infra', 'meta.directive.infra', 'keyword.control.directive.infra']);
    expect(scopesOf(src, 1, 'endif')).to.deep.equal(['string.quoted.double.infra', 'meta.directive.infra', 'keyword.control.directive.infra']);
    expect(scopesOf(src, 1, '$${')).to.deep.equal(['string.quoted.double.infra', 'constant.character.escape.infra']);
  });

  it('heredocs, with interpolation, up to the marker alone on its line', () => {
    const src = 'a = <<-EOT\n  hello ${var.who}\n  EOT is not the end\n  EOT\nb = 1\n';
    expect(scopesOf(src, 1, '<<-')).to.deep.equal(['string.unquoted.heredoc.infra', 'keyword.operator.heredoc.infra']);
    expect(scopesOf(src, 1, 'EOT')).to.deep.equal(['string.unquoted.heredoc.infra', 'keyword.control.heredoc.infra']);
    expect(scopesOf(src, 2, '  hello ')).to.deep.equal(['string.unquoted.heredoc.infra']);
    expect(scopesOf(src, 2, 'who')).to.deep.equal(['string.unquoted.heredoc.infra', 'meta.interpolation.infra', 'source.infra.embedded', 'variable.other.member.infra']);
    expect(scopesOf(src, 3, '  EOT is not the end')).to.deep.equal(['string.unquoted.heredoc.infra']);
    expect(scopesOf(src, 4, 'EOT')).to.deep.equal(['string.unquoted.heredoc.infra', 'keyword.control.heredoc.infra']);
    expect(scopesOf(src, 5, 'b')).to.deep.equal(['variable.other.property.infra']);
  });

  it('numbers and constants', () => {
    const src = 'a = [1, 2.5, 3e10, true, null]\n';
    expect(scopesOf(src, 1, '1')).to.deep.equal(['constant.numeric.integer.infra']);
    expect(scopesOf(src, 1, '2.5')).to.deep.equal(['constant.numeric.float.infra']);
    expect(scopesOf(src, 1, '3e10')).to.deep.equal(['constant.numeric.float.infra']);
    expect(scopesOf(src, 1, 'true')).to.deep.equal(['constant.language.infra']);
    expect(scopesOf(src, 1, 'null')).to.deep.equal(['constant.language.infra']);
  });

  it('block keywords and labels, and lifecycle blue_green', () => {
    const src = 'resource "linode_instance" "ns" {\n  lifecycle blue_green\n  lifecycle blue_green {\n    max_parallel = 2\n  }\n  ssh {\n  }\n}\n';
    expect(scopesOf(src, 1, 'resource')).to.deep.equal(['storage.type.block.infra']);
    expect(scopesOf(src, 1, 'linode_instance')).to.deep.equal(['entity.name.label.infra']);
    expect(scopesOf(src, 2, 'lifecycle')).to.deep.equal(['storage.type.block.infra']);
    expect(scopesOf(src, 2, 'blue_green')).to.deep.equal(['keyword.other.blue-green.infra']);
    expect(scopesOf(src, 3, 'blue_green')).to.deep.equal(['keyword.other.blue-green.infra']);
    expect(scopesOf(src, 4, 'max_parallel')).to.deep.equal(['variable.other.property.infra']);
    expect(scopesOf(src, 6, 'ssh')).to.deep.equal(['entity.name.type.block.infra']);
  });

  it('for expressions, functions and operators', () => {
    const src = 'a = [for k, v in var.m : upper(v) if v != ""]\n';
    expect(scopesOf(src, 1, 'for')).to.deep.equal(['keyword.control.infra']);
    expect(scopesOf(src, 1, 'in')).to.deep.equal(['keyword.control.infra']);
    expect(scopesOf(src, 1, 'if')).to.deep.equal(['keyword.control.infra']);
    expect(scopesOf(src, 1, 'upper')).to.deep.equal(['entity.name.function.infra']);
    expect(scopesOf(src, 1, '!=')).to.deep.equal(['keyword.operator.comparison.infra']);
  });
});
