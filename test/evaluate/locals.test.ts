import { expect } from 'chai';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { evaluateExpr, type EvalScope } from '../../src/evaluate/evaluate.js';
import { createLocals, localDiagnostics } from '../../src/evaluate/locals.js';
import { removeTemp, tempConfig } from './support.js';
import { expr } from './helpers.js';

function load(text: string): { config: Config; dir: string } {
  const dir = tempConfig({ 'main.infra': text });
  return { config: loadConfig(dir, { cwd: dir }).config!, dir };
}

function baseScope(config: Config, counter?: { reads: number }): EvalScope {
  return {
    configDir: config.dir,
    variables: new Map([['n', 2]]),
    env: {},
    local: () => undefined,
    resource: (type, name) => {
      if (counter) counter.reads++;
      return type === 'local_host' && name === 'ns' ? { ipv4: '127.0.0.2' } : undefined;
    },
  };
}

describe('createLocals', () => {
  it('evaluates lazily, in any order, and memoises', () => {
    const { config, dir } = load('locals {\n  b = local.a * 2\n  a = local_host.ns.ipv4 == "" ? 0 : var.n - 1\n  c = [local.b, local.a]\n}\n');
    const counter = { reads: 0 };
    const locals = createLocals(config, baseScope(config, counter));
    expect(counter.reads).to.equal(0);
    expect(locals('c')?.value).to.deep.equal([2, 1]);
    expect(locals('b')?.value).to.equal(2);
    expect(locals('c')).to.equal(locals('c'));
    expect(counter.reads).to.equal(1);
    expect(locals('nope')).to.equal(undefined);
    removeTemp(dir);
  });

  it('names every local on a cycle, from the first declared, at its range', () => {
    const { config, dir } = load('locals {\n  ok = 1\n  a = local.b\n  b = "${local.c}"\n  c = local.a + local.ok\n}\n');
    const locals = createLocals(config, baseScope(config));
    // Entering the cycle at c still names it from a.
    const r = locals('c')!;
    expect(r.diagnostics.map((d) => d.summary)).to.deep.equal(['Cycle in locals: local.a -> local.b -> local.c -> local.a']);
    expect(r.diagnostics[0].range?.start.line).to.equal(3);
    removeTemp(dir);
  });

  it('reports a local\'s error once, however many expressions refer to it', () => {
    const { config, dir } = load('locals {\n  broken = var.nope\n  user1 = local.broken\n  user2 = local.broken\n}\n');
    const locals = createLocals(config, baseScope(config));
    const scope = { ...baseScope(config), local: locals };
    const first = evaluateExpr(expr('local.user1'), scope);
    const second = evaluateExpr(expr('local.user2'), scope);
    const third = evaluateExpr(expr('local.broken'), scope);
    expect(first.diagnostics.map((d) => d.summary)).to.deep.equal(['Reference to undeclared variable "nope"']);
    expect(second.diagnostics).to.deep.equal([]);
    expect(third.diagnostics).to.deep.equal([]);
    expect(localDiagnostics(config, locals)).to.deep.equal([]);
    removeTemp(dir);
  });

  it('can() does not use up a local\'s report', () => {
    const { config, dir } = load('locals {\n  broken = var.nope\n}\n');
    const locals = createLocals(config, baseScope(config));
    const scope = { ...baseScope(config), local: locals };
    expect(evaluateExpr(expr('can(local.broken)'), scope).value).to.equal(false);
    expect(localDiagnostics(config, locals).map((d) => d.summary)).to.deep.equal(['Reference to undeclared variable "nope"']);
    removeTemp(dir);
  });

  it('locals see no each or count.index', () => {
    const { config, dir } = load('locals {\n  k = each.key\n}\n');
    const locals = createLocals(config, { ...baseScope(config), each: { key: 'a', value: 'b' } });
    expect(locals('k')!.diagnostics[0].summary).to.equal('Reference to "each" outside for_each');
    removeTemp(dir);
  });

  it('a long chain of locals is fine; a too deep one is a diagnostic', () => {
    const chain = (n: number): string => `locals {\n${Array.from({ length: n }, (_, i) => `  l${i} = ${i === n - 1 ? '0' : `local.l${i + 1} + 1`}`).join('\n')}\n}\n`;
    const ok = load(chain(100));
    expect(createLocals(ok.config, baseScope(ok.config))('l0')?.value).to.equal(99);
    removeTemp(ok.dir);
    const deep = load(chain(3000));
    const r = createLocals(deep.config, baseScope(deep.config))('l0')!;
    expect(r.diagnostics.map((d) => d.summary)).to.deep.equal(['Expression nested too deeply']);
    removeTemp(deep.dir);
  });
});
