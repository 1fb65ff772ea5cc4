/**
 * Golden renderings. Each folder in test/fixtures/render/ is a case: `case.json` names a plan
 * builder from test/support/plans.ts (`{"plan": "blueGreenPlan", "args": []}`), and each
 * `expected.*` file present is compared, exactly, with one rendering:
 * `.txt` text without colour, `.json` JSON, `.md` Markdown, `.mmd` Mermaid, `.dot` DOT.
 * `UPDATE_GOLDENS=1 npx mocha test/render/golden.test.ts` rewrites the expected files (and
 * creates those listed in `formats`); review the diff before keeping it.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan } from '../../src/planner/plan.js';
import { planToDot, planToMermaid } from '../../src/render/graph.js';
import { renderPlanJson } from '../../src/render/plan-json.js';
import { renderPlanMarkdown, type PlanMarkdownOptions } from '../../src/render/plan-markdown.js';
import { renderPlanText } from '../../src/render/plan-text.js';
import { caseFolders, expectGolden, UPDATE_GOLDENS } from '../support/golden.js';
import { PLAN_BUILDERS } from '../support/plans.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'render');

interface CaseFile {
  readonly plan: string;
  readonly args?: readonly number[];
  readonly markdown?: PlanMarkdownOptions;
  /** Expected files to create when updating goldens (existing ones are always compared). */
  readonly formats?: readonly string[];
}

const RENDERINGS: Readonly<Record<string, (plan: Plan, c: CaseFile) => string>> = {
  'expected.txt': (plan) => renderPlanText(plan, { color: false }),
  'expected.json': (plan) => `${renderPlanJson(plan)}\n`,
  'expected.md': (plan, c) => renderPlanMarkdown(plan, c.markdown),
  'expected.mmd': (plan) => `${planToMermaid(plan)}\n`,
  'expected.dot': (plan) => `${planToDot(plan)}\n`,
};

describe('render goldens (test/fixtures/render)', () => {
  const cases = caseFolders(FIXTURES);

  it('finds the cases', () => {
    expect(cases.length).to.be.greaterThan(0);
  });

  for (const name of cases) {
    const dir = join(FIXTURES, name);
    const spec = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as CaseFile;
    describe(name, () => {
      for (const [file, render] of Object.entries(RENDERINGS)) {
        const path = join(dir, file);
        if (!existsSync(path) && !(UPDATE_GOLDENS && spec.formats?.includes(file))) continue;
        it(file, () => {
          const builder = PLAN_BUILDERS[spec.plan];
          expect(builder, `unknown plan builder ${spec.plan}`).to.be.a('function');
          expectGolden(render(builder(...(spec.args ?? [])), spec), path);
        });
      }
    });
  }
});
