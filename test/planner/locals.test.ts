import { expect } from 'chai';
import { planFixture } from './fixture.js';

describe('planner: locals', () => {
  it('evaluates every local, used or not, and reports each error once', () => {
    const r = planFixture({
      config: `
locals {
  sum    = 1 + "x"
  a      = local.b
  b      = local.a
  undecl = var.nope
  used   = 1 + "y"
}

resource "test_instance" "web" {
  name = "web-\${local.used}"
}
`,
    });
    expect(r.plan).to.equal(null);
    expect(r.diagnostics.map((d) => `${d.range?.start.line}: ${d.summary}`)).to.deep.equal([
      '7: Invalid operand: cannot add number and string',
      '3: Invalid operand: cannot add number and string',
      '4: Cycle in locals: local.a -> local.b -> local.a',
      '6: Reference to undeclared variable "nope"',
    ]);
  });

  it('a configuration whose locals are all fine plans as before', () => {
    const r = planFixture({ config: 'locals {\n  unused = 2\n}\n\nresource "test_instance" "web" {\n  name = "web"\n}\n' });
    expect(r.diagnostics).to.deep.equal([]);
    expect(r.plan?.summary.add).to.equal(1);
  });
});
