import { expect } from 'chai';
import { copy, planFixture } from './fixture.js';

const where = (d: { summary: string; detail?: string; range?: { start: { line: number; column: number } } }) =>
  `${d.range ? `${d.range.start.line}:${d.range.start.column} ` : ''}${d.summary}: ${d.detail ?? ''}`;

describe('planner: preconditions and postconditions', () => {
  const config = (size: string) => `
variable "size" {
  default = "${size}"
}

resource "test_instance" "db" {
  name = "db"
  size = var.size

  lifecycle {
    precondition {
      condition     = var.size != "huge"
      error_message = "The size \${var.size} is not allowed."
    }
    postcondition {
      condition     = self.size == var.size
      error_message = "The size did not take."
    }
    postcondition {
      condition     = self.ipv4 != ""
      error_message = "No address."
    }
  }
}

resource "test_instance" "web" {
  name = "web"

  lifecycle {
    precondition {
      condition     = test_instance.db.size != "large"
      error_message = "The database is too large for web."
    }
  }
}

output "db_size" {
  value = test_instance.db.size
  precondition {
    condition     = test_instance.db.size != "small"
    error_message = "A small database is not worth an output."
  }
}
`;

  it('a false precondition fails the plan at its condition, with its message', () => {
    const r = planFixture({ config: config('huge') });
    expect(r.plan).to.equal(null);
    expect(r.diagnostics.map(where)).to.deep.equal(['12:23 Resource precondition failed: The size huge is not allowed.']);
  });

  it("a precondition reading another resource makes it a dependency, and is checked with that resource's planned values", () => {
    const r = planFixture({ config: config('large') });
    expect(r.diagnostics.map(where)).to.deep.equal(['31:23 Resource precondition failed: The database is too large for web.']);
    const ok = planFixture({ config: config('medium') });
    expect(ok.diagnostics).to.deep.equal([]);
    expect(ok.plan!.changes.find((c) => c.address === 'test_instance.web')!.dependencies).to.deep.equal(['test_instance.db']);
  });

  it('an output precondition is checked at plan', () => {
    const r = planFixture({ config: config('small') });
    expect(r.diagnostics.map(where)).to.deep.equal(['40:21 Module output value precondition failed: A small database is not worth an output.']);
  });

  it('a postcondition is checked at plan when its values are known, and left for apply when not', () => {
    // Created: ipv4 is unknown until apply, so only the known postcondition is decided (and passes).
    expect(planFixture({ config: config('medium') }).diagnostics).to.deep.equal([]);
    // Updated in place: ipv4 is known (the recorded one) and empty, so the plan fails.
    const r = planFixture({
      config: config('medium'),
      state: [copy({ address: 'test_instance.db', attributes: { name: 'db', size: 'tiny', id: 'i-1', ipv4: '' } }), copy({ address: 'test_instance.web', attributes: { name: 'web', id: 'i-2', ipv4: '10.0.0.2' } })],
    });
    expect(r.diagnostics.map(where)).to.deep.equal(['20:23 Resource postcondition failed: No address.']);
  });
});
