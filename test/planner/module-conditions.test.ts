import { expect } from 'chai';
import { appliedState, planFixture, planOf } from './fixture.js';

/** A module whose variable is validated and not nullable, and whose resources have conditions and a trigger. */
const MODULE = {
  'modules/db/main.infra': `variable "size" {
  type     = string
  nullable = false
  default  = "small"
  validation {
    condition     = var.size != "huge"
    error_message = "The size \${var.size} is too big."
  }
}

resource "test_instance" "db" {
  name = "db"
  size = var.size

  lifecycle {
    precondition {
      condition     = var.size != "tiny"
      error_message = "A tiny database cannot hold the data."
    }
    postcondition {
      condition     = self.size == var.size
      error_message = "The size did not take."
    }
  }
}

output "size" {
  value = test_instance.db.size
  precondition {
    condition     = var.size != "odd"
    error_message = "An odd size is not worth an output."
  }
}

resource "test_instance" "app" {
  name = "app"

  lifecycle {
    replace_triggered_by = [test_instance.db.size]
  }
}
`,
};

const call = (size: string) => `
variable "wanted" {
  default = ${size}
}

variable "other" {
  default = "tiny"
}

module "data" {
  source = "./modules/db"
  size   = var.wanted
}

output "db_size" {
  value = module.data.size
}
`;

const shown = (d: { summary: string; detail?: string; range?: { file: string; start: { line: number } } }) => `${d.range?.file}:${d.range?.start.line} ${d.summary}: ${d.detail}`;

describe('conditions in modules', () => {
  it("a module variable's validation runs on the value the call gives, and is reported at the argument", () => {
    const r = planFixture({ files: MODULE, config: call('"huge"') });
    expect(r.diagnostics.map(shown)).to.deep.equal(['main.infra:12 Invalid value for variable: The size huge is too big.\n\nThis was checked by the validation rule at modules/db/main.infra:5,3-13.']);
  });

  it('a null for a nullable = false module variable takes its default', () => {
    const p = planOf({ files: MODULE, config: call('null') });
    expect((p.changes.find((c) => c.address === 'module.data.test_instance.db')!.after as Record<string, unknown>).size).to.equal('small');
  });

  it("a module resource's conditions read the module's own variables, and self", () => {
    const r = planFixture({ files: MODULE, config: call('"tiny"') });
    expect(r.diagnostics.map(shown)).to.deep.equal(['modules/db/main.infra:17 Resource precondition failed: A tiny database cannot hold the data.']);
    expect(planFixture({ files: MODULE, config: call('"medium"') }).diagnostics).to.deep.equal([]);
  });

  it("a module output's precondition is checked where the output is evaluated", () => {
    const r = planFixture({ files: MODULE, config: call('"odd"') });
    expect(r.diagnostics.map(shown)).to.deep.equal(['modules/db/main.infra:30 Module output value precondition failed: An odd size is not worth an output.']);
  });

  it("replace_triggered_by in a module names the module's own resources", () => {
    const state = appliedState({ files: MODULE, config: call('"small"') });
    const p = planOf({ files: MODULE, config: call('"medium"'), state });
    const app = p.changes.find((c) => c.address === 'module.data.test_instance.app')!;
    expect([app.actions, app.reasons]).to.deep.equal([['delete', 'create'], [{ code: 'replace-triggered-by', triggers: ['test_instance.db.size'] }]]);
    expect(app.dependencies).to.deep.equal(['module.data.test_instance.db']);
  });
});
