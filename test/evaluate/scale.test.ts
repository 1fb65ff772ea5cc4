/** Sanity at scale: large configurations, large values and deep nesting end in results or diagnostics. */
import { expect } from 'chai';
import { hasErrors } from '../../src/diagnostics.js';
import { runPipeline } from './pipeline.js';
import { removeTemp, tempConfig } from './support.js';

describe('scale', function () {
  this.timeout(120_000);

  it('evaluates a configuration of thousands of resources', () => {
    const n = 3000;
    const blocks = Array.from(
      { length: n },
      (_, i) => `resource "local_host" "r${i}" {
  name      = "\${local.prefix}-${i}"
  port      = ${i} % 100 + 1000
  tags      = { index = "${i}", peer = local_host.r${i === 0 ? 1 : i - 1}.ipv4 }
  addresses = [for t in local.tags : "\${t}.${i}"]
}
`,
    );
    const dir = tempConfig({ 'main.infra': `locals {\n  prefix = "ns"\n  tags = ["a", "b"]\n}\n\n${blocks.join('\n')}` });
    const r = runPipeline(dir);
    removeTemp(dir);
    expect(r.diagnostics).to.deep.equal([]);
    expect(r.config!.resources.length).to.equal(n);
  });

  it('handles a megabyte string and a long list', () => {
    const big = 'x'.repeat(1_000_000);
    const list = Array.from({ length: 50_000 }, (_, i) => i).join(', ');
    const dir = tempConfig({ 'main.infra': `locals {\n  big = "${big}"\n  len = length(local.big)\n  list = [${list}]\n  sum = length([for x in local.list : x * 2])\n}\n` });
    const r = runPipeline(dir);
    removeTemp(dir);
    expect(r.diagnostics).to.deep.equal([]);
  });

  it('10,000 levels of nesting give diagnostics, not a stack overflow', () => {
    for (const [open, close] of [['[', ']'], ['(', ')'], ['{ a = ', ' }'], ['f(', ')'], ['-', ''], ['!', '']]) {
      const deep = open.repeat(10_000) + '1' + close.repeat(10_000);
      const dir = tempConfig({ 'main.infra': `locals {\n  deep = ${deep}\n}\n` });
      const r = runPipeline(dir);
      removeTemp(dir);
      expect(hasErrors(r.diagnostics), open).to.equal(true);
    }
  });

  it('a conditional chain and an operator chain of thousands of terms evaluate or are refused cleanly', () => {
    const sum = Array.from({ length: 5000 }, () => '1').join(' + ');
    const chain = Array.from({ length: 2000 }, (_, i) => `var.x == ${i} ? ${i} :`).join(' ') + ' -1';
    const dir = tempConfig({ 'main.infra': `variable "x" {\n  default = 3\n}\nlocals {\n  sum = ${sum}\n  chain = ${chain}\n}\n` });
    const r = runPipeline(dir);
    removeTemp(dir);
    for (const d of r.diagnostics) expect(d.summary).to.be.a('string');
  });
});
