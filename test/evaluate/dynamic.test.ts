/**
 * `dynamic "BLOCK" { for_each, iterator, labels, content { ... } }` in a resource body: the nested
 * blocks it generates, as Terraform's, and its errors with their locations.
 */
import { expect } from 'chai';
import { loadConfig } from '../../src/config/load.js';
import type { EvalScope } from '../../src/evaluate/evaluate.js';
import { decodeBody } from '../../src/evaluate/resource.js';
import { UNKNOWN, type Value } from '../../src/evaluate/value.js';
import type { BlockSchema } from '../../src/providers/contract.js';
import { removeTemp, tempConfig } from './support.js';

const expectBlock: BlockSchema = {
  description: 'a question',
  labels: ['name', 'type'],
  attributes: { values: { type: { list: 'string' }, optional: true, description: 'answers' } },
};
const ruleBlock: BlockSchema = {
  description: 'a rule',
  attributes: { port: { type: 'number', required: true, description: 'port' } },
  blocks: { note: { description: 'a note', attributes: { text: { type: 'string', required: true, description: 'text' } } } },
};
const SCHEMA = { attributes: {}, blocks: { expect: expectBlock, rule: ruleBlock } };

const scope: EvalScope = {
  configDir: '/c',
  variables: new Map<string, Value>([
    ['records', { 'www.example.test': ['192.0.2.1'], 'ns.example.test': ['192.0.2.2', '192.0.2.3'] }],
    ['ports', [53, 853]],
    ['u', UNKNOWN],
  ]),
  local: () => undefined,
  resource: () => undefined,
  env: {},
};

function decode(body: string): { value: Record<string, Value>; errors: string[] } {
  const dir = tempConfig({ 'main.infra': `resource "t" "a" {\n${body}}\n` });
  const r = loadConfig(dir, { cwd: dir });
  removeTemp(dir);
  expect(r.diagnostics.map((d) => d.summary)).to.deep.equal([]);
  const d = decodeBody(r.config!.resources[0].body, SCHEMA, scope);
  return { value: d.value, errors: d.diagnostics.map((x) => `${x.range?.start.line}:${x.range?.start.column}: ${x.summary}: ${x.detail}`) };
}

describe('dynamic blocks', () => {
  it('generates one block per element, with labels, iterating a map in key order', () => {
    const r = decode(`  dynamic "expect" {
    for_each = var.records
    labels   = [expect.key, "A"]
    content {
      values = expect.value
    }
  }
`);
    expect(r.errors).to.deep.equal([]);
    expect(r.value.expect).to.deep.equal([
      { name: 'ns.example.test', type: 'A', values: ['192.0.2.2', '192.0.2.3'] },
      { name: 'www.example.test', type: 'A', values: ['192.0.2.1'] },
    ]);
  });

  it('iterator names the variable; static blocks keep their place; nested dynamic blocks see the outer iterator', () => {
    const r = decode(`  rule {
    port = 22
  }
  dynamic "rule" {
    for_each = var.ports
    iterator = p
    content {
      port = p.value
      dynamic "note" {
        for_each = ["a", "b"]
        content {
          text = "\${p.key}-\${note.value}"
        }
      }
    }
  }
`);
    expect(r.errors).to.deep.equal([]);
    expect(r.value.rule).to.deep.equal([
      { port: 22, note: [] },
      { port: 53, note: [{ text: '0-a' }, { text: '0-b' }] },
      { port: 853, note: [{ text: '1-a' }, { text: '1-b' }] },
    ]);
  });

  it('a for_each known only after apply makes the blocks unknown', () => {
    const r = decode(`  dynamic "rule" {
    for_each = var.u
    content {
      port = 1
    }
  }
`);
    expect(r.errors).to.deep.equal([]);
    expect(r.value.rule).to.equal(UNKNOWN);
  });

  it('errors, as Terraform words them, at their places', () => {
    expect(decode('  dynamic "rule" {\n    for_each = 3\n    content {\n      port = 1\n    }\n  }\n').errors).to.deep.equal([
      '3:16: Invalid dynamic for_each value: Cannot use a number value in for_each. An iterable collection is required.',
    ]);
    expect(decode('  dynamic "rule" {\n    for_each = null\n    content {\n      port = 1\n    }\n  }\n').errors).to.deep.equal([
      '3:16: Invalid dynamic for_each value: Cannot use a null value in for_each.',
    ]);
    expect(decode('  dynamic "rule" {\n    for_each = [1]\n  }\n').errors).to.deep.equal([
      '2:3: Missing dynamic content block: A dynamic block must have a nested block of type "content" to describe the body of each generated block.',
    ]);
    expect(decode('  dynamic "rule" {\n    content {\n      port = 1\n    }\n  }\n').errors).to.deep.equal([
      '2:3: Missing required argument: The argument "for_each" is required, but no definition was found.',
    ]);
    expect(decode('  dynamic "rule" {\n    for_each = [1]\n    iterator = "x"\n    content {\n      port = 1\n    }\n  }\n').errors).to.deep.equal([
      '4:16: Invalid dynamic iterator name: Dynamic iterator must be a single variable name.',
    ]);
    expect(decode('  dynamic "expect" {\n    for_each = [1]\n    labels = ["a"]\n    content {\n    }\n  }\n').errors).to.deep.equal([
      '4:14: Insufficient dynamic block labels: Blocks of type "expect" require 2 label(s).',
    ]);
    expect(decode('  dynamic "rlue" {\n    for_each = [1]\n    content {\n    }\n  }\n').errors).to.deep.equal([
      '2:11: Unsupported block type "rlue": Did you mean "rule"?',
    ]);
    expect(decode('  dynamic "rule" {\n    for_each = [1]\n    content {\n      prot = 1\n    }\n  }\n').errors[0]).to.equal(
      '5:7: Unsupported argument "prot": Did you mean "port"?',
    );
  });
});
