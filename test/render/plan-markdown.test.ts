import { expect } from 'chai';
import type { Plan } from '../../src/planner/plan.js';
import { GITHUB_COMMENT_LIMIT, renderPlanMarkdown } from '../../src/render/plan-markdown.js';
import { summarySentence } from '../../src/render/symbols.js';
import { blueGreenPlan, destroyOnlyPlan, generatedPlan, mixedPlan } from '../support/plans.js';
import { parseFlowchart } from './mermaid-parser.js';

function mermaidBlocks(md: string): string[] {
  return [...md.matchAll(/^```mermaid\n([\s\S]*?)\n```$/gm)].map((m) => m[1]);
}

function destroyedAddresses(plan: Plan): string[] {
  return plan.changes.filter((c) => (c.actions as readonly string[]).includes('delete')).map((c) => c.address);
}

describe('renderPlanMarkdown', () => {
  it('starts with the summary line', () => {
    const plan = blueGreenPlan();
    expect(renderPlanMarkdown(plan).split('\n')[0]).to.equal(`**${summarySentence(plan.summary)}**`);
  });

  for (const [name, plan] of Object.entries({ blueGreenPlan: blueGreenPlan(), destroyOnlyPlan: destroyOnlyPlan(), mixedPlan: mixedPlan() })) {
    it(`${name}: its Mermaid block parses, and the destroy list comes before any <details>`, async () => {
      const md = renderPlanMarkdown(plan);
      const blocks = mermaidBlocks(md);
      expect(blocks).to.have.length(1);
      const chart = await parseFlowchart(blocks[0]);
      expect(chart.nodes.size).to.equal(plan.steps.length);
      const firstDetails = md.indexOf('<details>');
      for (const address of destroyedAddresses(plan)) {
        const at = md.indexOf(`- **\`${address}\`**`);
        expect(at, address).to.be.greaterThan(0);
        expect(at).to.be.lessThan(firstDetails);
      }
    });
  }

  describe('a plan of 3,000 resources', () => {
    const plan = generatedPlan(3000);
    const md = renderPlanMarkdown(plan);

    it('stays under GitHub’s 65,536-character limit', () => {
      expect(md.length).to.be.lessThan(GITHUB_COMMENT_LIMIT);
    });

    it('keeps the summary and every destroyed address, in bold, outside <details>', () => {
      expect(md.startsWith(`**${summarySentence(plan.summary)}**\n`)).to.equal(true);
      const firstDetails = md.indexOf('<details>');
      const destroyed = destroyedAddresses(plan);
      expect(destroyed).to.have.length(302);
      for (const address of destroyed) {
        const at = md.indexOf(`- **\`${address}\`**`);
        expect(at, address).to.be.greaterThan(0);
        expect(at).to.be.lessThan(firstDetails);
      }
    });

    it('keeps the whole sequence, compacted into runs, and says so', () => {
      const sequence = /\*\*Deploy sequence\*\* \(3008 steps\):\n\n```text\n([\s\S]*?)\n```\n\n(.*)\n/.exec(md);
      expect(sequence).to.not.equal(null);
      expect(sequence![1].split('\n')).to.deep.equal([
        '   1-1800. create   web_server.app[0] .. web_server.app[1799]       [1800 steps]',
        '1801-2700. update   dns_record.www[0] .. dns_record.www[899]        [900 steps]',
        '     2701. create   linode_instance.bg["a"]                         (green)',
        '     2702. verify   dns_check.bg["a"]                               -> green',
        '     2703. switch   nginx_upstream.bg["a"]                          192.0.2.200 (blue) -> (green)',
        '     2704. destroy  linode_instance.bg["a"]                         (blue)',
        '     2705. create   linode_instance.bg["b"]                         (green)',
        '     2706. verify   dns_check.bg["b"]                               -> green',
        '     2707. switch   nginx_upstream.bg["b"]                          192.0.2.200 (blue) -> (green)',
        '     2708. destroy  linode_instance.bg["b"]                         (blue)',
        '2709-3008. destroy  old_server.legacy[0] .. old_server.legacy[299]  [300 steps]',
      ]);
      expect(sequence![2]).to.equal('_Runs of similar steps are shown one line per run to fit this comment._');
    });

    it('cuts resource diffs, saying how many and how to see them', () => {
      const shown = (md.match(/<details>/g) ?? []).length;
      const total = plan.changes.filter((c) => c.actions[0] !== 'no-op').length;
      expect(shown).to.be.greaterThan(0).and.lessThan(total);
      const note = md.trimEnd().split('\n').pop();
      expect(note).to.equal(
        `_${(total - shown).toLocaleString('en-US')} of ${total.toLocaleString('en-US')} resource diffs were left out to keep this comment under 64,000 characters; run \`infra show PLANFILE\` to see the whole plan._`,
      );
    });
  });

  it('uses the Mermaid graph while GitHub can draw it, then a numbered list', async () => {
    const small = renderPlanMarkdown(generatedPlan(100));
    expect(mermaidBlocks(small)).to.have.length(1);
    await parseFlowchart(mermaidBlocks(small)[0]);
    const large = renderPlanMarkdown(generatedPlan(1000));
    expect(mermaidBlocks(large)).to.have.length(0);
    expect(large).to.include('is more than GitHub draws (50,000 characters, 500 edges), so it is listed in order._');
    expect(large).to.include('\n```text\n   1. create   web_server.app[0]\n');
  });

  it('stays under any limit, never losing the summary, and says what it cut', () => {
    for (const plan of [blueGreenPlan(), mixedPlan(), destroyOnlyPlan(), generatedPlan(300), generatedPlan(3000)]) {
      for (const maxChars of [1_000, 2_500, 8_000, 20_000]) {
        const md = renderPlanMarkdown(plan, { maxChars, showCommand: 'infra show out.plan' });
        expect(md.length, `${plan.changes.length} resources, ${maxChars}`).to.be.at.most(maxChars);
        expect(md.startsWith(`**${summarySentence(plan.summary)}**`)).to.equal(true);
        expect(md).to.include('**Will be destroyed');
        expect(md).to.include('**Deploy sequence**');
        const details = (renderPlanMarkdown(plan, { maxChars: 1e9 }).match(/<details>/g) ?? []).length;
        if ((md.match(/<details>/g) ?? []).length < details) expect(md).to.match(/left out to keep this comment under [\d,]+ characters; run `infra show out\.plan` to see the whole plan\._\n$/);
      }
    }
  });

  it('cuts the destroy list and the sequence only when their compact forms cannot fit, and says so', () => {
    const md = renderPlanMarkdown(generatedPlan(3000), { maxChars: 2_000, showCommand: 'infra show out.plan' });
    expect(md.length).to.be.at.most(2_000);
    expect(md).to.match(/- \*\*\.\.\. and \d+ more\*\*: run `infra show out\.plan` to see them\./);
    expect(md).to.match(/_Only the first \d+ steps of 3008 fit in this comment; run `infra show out\.plan` to see them all\._/);
  });

  it('groups the destroy list by resource block before cutting it', () => {
    const md = renderPlanMarkdown(generatedPlan(3000), { maxChars: 12_000 });
    expect(md).to.include('**Will be destroyed (302):**');
    expect(md).to.match(/- \*\*`old_server\.legacy` \\\[0\\\] \\\[1\\\] \\\[2\\\]/);
    expect(md).to.not.include('and 0 more');
  });

  it('fences diffs with more backticks than the content holds', () => {
    const plan = mixedPlan();
    const withTicks: Plan = {
      ...plan,
      changes: plan.changes.map((c) => (c.address === 'bind_zone.example' ? { ...c, after: { ...c.after, content: 'a\n```\nb\n' } } : c)),
    };
    expect(renderPlanMarkdown(withTicks)).to.include('````diff\n  content = <<-EOT\n');
  });
});
