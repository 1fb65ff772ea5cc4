import { expect } from 'chai';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { Sensitive } from '../../src/evaluate/value.js';
import { resolveVariables, type VariableInput } from '../../src/evaluate/variables.js';
import { removeTemp, tempConfig } from './support.js';

describe('resolveVariables', () => {
  let dir: string;
  let config: Config;
  before(() => {
    dir = tempConfig({
      'main.infra': `
variable "serial" {
  type    = number
  default = 1
}
variable "name" {
  type    = string
  default = "default"
}
variable "list" {
  type    = list(string)
  default = []
}
variable "obj" {
  type    = object({ a = number, b = list(bool) })
  default = { a = 1, b = [], extra = "dropped" }
}
variable "token" {
  type      = string
  default   = "t"
  sensitive = true
}
variable "anything" {
  default = null
}
`,
      'one.vars': 'serial = 3\nname = "from-one"\n',
      'two.vars': 'serial = 4\n',
      'vars.json': '{ "list": ["j1", "j2"], "obj": { "a": "5", "b": [true] } }',
    });
    config = loadConfig(dir, { cwd: dir }).config!;
  });
  after(() => removeTemp(dir));
  const resolve = (input: Partial<VariableInput>) => resolveVariables(config, { vars: [], varFiles: [], env: {}, cwd: dir, ...input });

  it('uses defaults, converted to the type (extra object attributes dropped)', () => {
    const r = resolve({});
    expect(r.diagnostics).to.deep.equal([]);
    expect(r.value.get('serial')).to.equal(1);
    expect(r.value.get('obj')).to.deep.equal({ a: 1, b: [] });
    expect(r.value.get('anything')).to.equal(null);
    expect(r.value.get('token')).to.deep.equal(new Sensitive('t'));
  });

  it('precedence: default < INFRA_VAR_ < --var-file (in order) < --var (in order)', () => {
    expect(resolve({ env: { INFRA_VAR_serial: '2' } }).value.get('serial')).to.equal(2);
    expect(resolve({ env: { INFRA_VAR_serial: '2' }, varFiles: ['one.vars'] }).value.get('serial')).to.equal(3);
    expect(resolve({ varFiles: ['one.vars', 'two.vars'] }).value.get('serial')).to.equal(4);
    expect(resolve({ varFiles: ['two.vars', 'one.vars'] }).value.get('serial')).to.equal(3);
    expect(resolve({ varFiles: ['two.vars'], vars: ['serial=5', 'serial=6'] }).value.get('serial')).to.equal(6);
    expect(resolve({ varFiles: ['one.vars', 'two.vars'] }).value.get('name')).to.equal('from-one');
  });

  it('takes --var text as is for strings, parses it for collections', () => {
    const r = resolve({ vars: ['name=a=b "c"', 'list=["x", 1]', 'obj={ a = 2, b = [false] }', 'anything=[1]'] });
    expect(r.diagnostics).to.deep.equal([]);
    expect(r.value.get('name')).to.equal('a=b "c"');
    expect(r.value.get('list')).to.deep.equal(['x', '1']);
    expect(r.value.get('obj')).to.deep.equal({ a: 2, b: [false] });
    expect(r.value.get('anything')).to.equal('[1]');
  });

  it('reads JSON var files and converts their values', () => {
    const r = resolve({ varFiles: ['vars.json'] });
    expect(r.diagnostics).to.deep.equal([]);
    expect(r.value.get('list')).to.deep.equal(['j1', 'j2']);
    expect(r.value.get('obj')).to.deep.equal({ a: 5, b: [true] });
  });

  it('a value of the wrong type names the variable and its source', () => {
    const fromVar = resolve({ vars: ['serial=abc'] }).diagnostics[0];
    expect(fromVar.summary).to.equal('Invalid value for variable "serial"');
    expect(fromVar.detail).to.equal('--var "serial=abc": a number is required, got a string that is not a number.');
    const fromEnv = resolve({ env: { INFRA_VAR_serial: 'x' } }).diagnostics[0];
    expect(fromEnv.detail).to.match(/^INFRA_VAR_serial: /);
    const fromList = resolve({ vars: ['list=[[1]]'] }).diagnostics[0];
    expect(fromList.detail).to.equal('--var "list=[[1]]": element 0: a string is required, got list.');
    const parse = resolve({ vars: ['list=[1,'] }).diagnostics[0];
    expect(parse.summary).to.equal('Invalid value for variable "list"');
    expect(parse.detail).to.match(/^--var "list=\[1,": /);
    const missingAttr = resolve({ vars: ['obj={ a = 1 }'] }).diagnostics[0];
    expect(missingAttr.detail).to.equal('--var "obj={ a = 1 }": attribute "b" is required.');
    const ref = resolve({ vars: ['list=[var.x]'] }).diagnostics[0];
    expect(ref.detail).to.match(/Variables not allowed/);
  });

  it('never shows a sensitive value in a message', () => {
    const cfgDir = tempConfig({ 'main.infra': 'variable "pin" {\n  type = number\n  sensitive = true\n}\n' });
    const cfg = loadConfig(cfgDir, { cwd: cfgDir }).config!;
    const r = resolveVariables(cfg, { vars: ['pin=hunter2'], varFiles: [], env: {}, cwd: cfgDir });
    expect(JSON.stringify(r.diagnostics)).not.to.contain('hunter2');
    expect(r.diagnostics[0].detail).to.equal('--var "pin=(sensitive value)": a number is required, got a string that is not a number.');
    removeTemp(cfgDir);
  });

  it('undeclared variables in --var and var files are errors with suggestions', () => {
    const d = resolve({ vars: ['serail=1'] }).diagnostics[0];
    expect(d.summary).to.equal('Value for undeclared variable "serail"');
    expect(d.detail).to.equal('--var "serail=...": Did you mean "serial"?');
    expect(resolve({ vars: ['novalue'] }).diagnostics[0].summary).to.equal('Invalid --var "novalue"');
    expect(resolve({ varFiles: ['nope.vars'] }).diagnostics[0].summary).to.equal('Cannot read variable file "nope.vars"');
    expect(resolve({ env: { INFRA_VAR_undeclared: '1' } }).diagnostics).to.deep.equal([]);
  });

  it('a required variable without a value is an error at its declaration', () => {
    const cfgDir = tempConfig({ 'main.infra': '\nvariable "serial" {\n  type = number\n}\n' });
    const cfg = loadConfig(cfgDir, { cwd: cfgDir }).config!;
    const r = resolveVariables(cfg, { vars: [], varFiles: [], env: {}, cwd: cfgDir });
    expect(r.diagnostics[0].summary).to.equal('No value for required variable "serial"');
    expect(r.diagnostics[0].range?.start.line).to.equal(2);
    expect(r.value.has('serial')).to.equal(false);
    removeTemp(cfgDir);
  });
});

describe('type constraints', () => {
  let dir: string;
  let config: Config;
  before(() => {
    dir = tempConfig({
      'main.infra': `
variable "service" {
  type = object({
    name  = string
    port  = optional(number, 80)
    tags  = optional(map(string))
    inner = optional(object({
      mode   = optional(string, "fast")
      checks = optional(list(object({ retries = optional(number, 3), path = string })), [])
    }), {})
  })
}
variable "services" {
  type    = map(object({ port = optional(number, 53), protocol = optional(string, "udp") }))
  default = { a = {}, b = { port = 5353, protocol = null } }
}
variable "zones" {
  type    = set(string)
  default = ["b.example", "a.example", "b.example"]
}
variable "ports" {
  type    = set(number)
  default = [10, 9, "1", 9]
}
variable "pair" {
  type    = tuple([string, number, bool])
  default = [1, "2", "true"]
}
variable "names" {
  type    = list(string)
  default = []
}
`,
    });
    config = loadConfig(dir, { cwd: dir }).config!;
  });
  after(() => removeTemp(dir));
  const resolve = (...vars: string[]) => resolveVariables(config, { vars: ['service={ name = "ns" }', ...vars], varFiles: [], env: {}, cwd: dir });

  it('fills optional attributes with their defaults (null without one), deeply', () => {
    const r = resolve();
    expect(r.diagnostics).to.deep.equal([]);
    expect(r.value.get('service')).to.deep.equal({ name: 'ns', port: 80, tags: null, inner: { mode: 'fast', checks: [] } });
    const nested = resolve('service={ name = "ns", port = null, inner = { checks = [{ path = "/" }, { path = "/x", retries = 1 }] } }');
    expect(nested.diagnostics).to.deep.equal([]);
    expect(nested.value.get('service')).to.deep.equal({
      name: 'ns',
      port: 80,
      tags: null,
      inner: { mode: 'fast', checks: [{ retries: 3, path: '/' }, { retries: 1, path: '/x' }] },
    });
    expect(r.value.get('services')).to.deep.equal({ a: { port: 53, protocol: 'udp' }, b: { port: 5353, protocol: 'udp' } });
  });

  it('a set drops duplicates and orders its elements; a tuple converts each element', () => {
    const r = resolve();
    expect(r.value.get('zones')).to.deep.equal(['a.example', 'b.example']);
    expect(r.value.get('ports')).to.deep.equal([1, 9, 10]);
    expect(r.value.get('pair')).to.deep.equal(['1', 2, true]);
  });

  it('a conversion error names the path to the value', () => {
    const port = resolve('service={ name = "ns", port = "x" }').diagnostics[0];
    expect(port.detail).to.equal('--var "service={ name = \\"ns\\", port = \\"x\\" }": attribute "port": a number is required, got a string that is not a number.');
    const deep = resolve('service={ name = "ns", inner = { checks = [{ path = "/" }, { retries = 1 }] } }').diagnostics[0];
    expect(deep.detail).to.match(/: attribute "inner": attribute "checks": element 1: attribute "path" is required\.$/);
    const pair = resolve('pair=["a", 1]').diagnostics[0];
    expect(pair.detail).to.equal('--var "pair=[\\"a\\", 1]": a tuple (tuple([string, number, bool])) is required, got 2 elements instead of 3.');
    const zones = resolve('zones={ a = 1 }').diagnostics[0];
    expect(zones.detail).to.equal('--var "zones={ a = 1 }": a set (set(string)) is required, got object.');
  });
});

describe('variable validation and nullable', () => {
  let dir: string;
  let config: Config;
  before(() => {
    dir = tempConfig({
      'main.infra': `locals {
  minimum = 2
}
variable "serial" {
  type    = number
  default = 1
  validation {
    condition     = var.serial > 5
    error_message = "The serial must be more than five."
  }
  validation {
    condition     = var.serial > local.minimum
    error_message = "The serial must be more than \${local.minimum}, got \${var.serial}."
  }
}
variable "name" {
  type     = string
  nullable = false
  default  = "fallback"
}
variable "required" {
  type     = string
  nullable = false
}
variable "pin" {
  type      = string
  sensitive = true
  default   = "1234"
  validation {
    condition     = length(var.pin) > 4
    error_message = "The pin \${var.pin} is too short."
  }
}
variable "weird" {
  default = 1
  validation {
    condition     = var.weird
    error_message = "m"
  }
}
`,
      'nulls.vars': 'name = null\nrequired = null\nserial = 4\n',
    });
    config = loadConfig(dir, { cwd: dir }).config!;
  });
  after(() => removeTemp(dir));
  const resolve = (input: Partial<VariableInput>) => resolveVariables(config, { vars: ['required=r', 'pin=123456', 'weird=true'], varFiles: [], env: {}, cwd: dir, ...input });
  const printed = (d: { summary: string; detail?: string; range?: { file: string; start: { line: number; column: number } } }) =>
    `${d.range ? `${d.range.file}:${d.range.start.line}:${d.range.start.column}: ` : ''}${d.summary}\n${d.detail ?? ''}`;

  it('a failed rule names the variable, its message and the rule; every rule is checked, and may read locals', () => {
    const r = resolve({});
    expect(r.diagnostics.map(printed)).to.deep.equal([
      'main.infra:4:1: Invalid value for variable\nThe serial must be more than five.\n\nThis was checked by the validation rule at main.infra:7,3-13.',
      'main.infra:4:1: Invalid value for variable\nThe serial must be more than 2, got 1.\n\nThis was checked by the validation rule at main.infra:11,3-13.',
    ]);
    expect(resolve({ vars: ['required=r', 'pin=123456', 'weird=true', 'serial=6'] }).diagnostics).to.deep.equal([]);
  });

  it('points at the value in a variable file', () => {
    const r = resolve({ vars: ['pin=123456', 'weird=true'], varFiles: ['nulls.vars'] });
    expect(r.diagnostics.map(printed)).to.deep.equal([
      'nulls.vars:2:12: Required variable not set\nThe given value is not suitable for var.required defined at main.infra:21,1-20: required variable may not be set to null.',
      'nulls.vars:3:10: Invalid value for variable\nThe serial must be more than five.\n\nThis was checked by the validation rule at main.infra:7,3-13.',
    ]);
    expect(r.value.get('name')).to.equal('fallback');
    expect(r.value.has('required')).to.equal(false);
  });

  it('hides a message that shows a sensitive value; a non-bool condition is an error at the condition', () => {
    const r = resolve({ vars: ['required=r', 'pin=12', 'weird=3', 'serial=6'] });
    expect(r.diagnostics.map(printed)).to.deep.equal([
      'main.infra:25:1: Invalid value for variable\nThe error message included a sensitive value, so it will not be displayed.\n\nThis was checked by the validation rule at main.infra:29,3-13.',
      'main.infra:37:21: Invalid variable validation result\nInvalid validation condition result value: a bool is required, got a string other than "true" or "false".',
    ]);
  });
});
