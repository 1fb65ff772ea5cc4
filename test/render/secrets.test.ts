/**
 * No rendering may ever contain a sensitive value: the plans here hold secrets marked
 * `Sensitive` at the top level, nested in lists and objects, in outputs and in drift.
 */
import { expect } from 'chai';
import { stripVTControlCharacters } from 'node:util';
import { planToDot, planToMermaid } from '../../src/render/graph.js';
import { renderPlanJson } from '../../src/render/plan-json.js';
import { renderPlanMarkdown } from '../../src/render/plan-markdown.js';
import { renderPlanText } from '../../src/render/plan-text.js';
import { destroyOnlyPlan, mixedPlan, NESTED_SECRET, SECRET } from '../support/plans.js';

describe('sensitive values', () => {
  const renderings = {
    text: renderPlanText(mixedPlan(), { color: false }),
    'text with colour': stripVTControlCharacters(renderPlanText(mixedPlan(), { color: true })),
    json: renderPlanJson(mixedPlan()),
    markdown: renderPlanMarkdown(mixedPlan()),
    'short markdown': renderPlanMarkdown(mixedPlan(), { maxChars: 3_000 }),
    mermaid: planToMermaid(mixedPlan()),
    dot: planToDot(mixedPlan()),
    'destroy-only text': renderPlanText(destroyOnlyPlan(), { color: false }),
    'destroy-only markdown': renderPlanMarkdown(destroyOnlyPlan()),
    'destroy-only json': renderPlanJson(destroyOnlyPlan()),
  };

  for (const [name, out] of Object.entries(renderings)) {
    it(`never appear in ${name}`, () => {
      expect(out).to.not.include(SECRET);
      expect(out).to.not.include(NESTED_SECRET);
      expect(out).to.not.include('lb-root-pass');
    });
  }

  it('print as (sensitive value) in text and Markdown', () => {
    expect(renderings.text).to.include('      - root_pass = (sensitive value) -> null');
    expect(renderings.text).to.include('          + API_KEY = (sensitive value)');
    expect(renderings.text).to.include('          + (sensitive value),');
    expect(renderings.text).to.include('  ~ api_token   = (sensitive value) -> (sensitive value)');
    expect(renderings.markdown).to.include('+   API_KEY = (sensitive value)');
  });
});
