/**
 * The README's commands table is true to each command's --help: every command is in it, and its
 * row names exactly the flags the command takes (no more, no fewer).
 */
import { expect } from 'chai';
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildProgram } from '../../src/cli.js';

const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

/** Every leaf command (`plan`, `state list`) and its visible long flags, without --help/--no-color. */
function commandFlags(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const visit = (c: Command, prefix: string): void => {
    for (const sub of c.commands) {
      const name = prefix + sub.name();
      if (sub.commands.length === 0) out.set(name, sub.options.filter((o) => !o.hidden && o.long).map((o) => o.long!).sort());
      visit(sub, name + ' ');
    }
  };
  visit(buildProgram(), '');
  return out;
}

const GROUPS: Record<string, string[]> = {
  '*config*': ['--chdir', '--var', '--var-file'],
  '*state*': ['--chdir', '--state', '--lock-timeout'],
};

/** The README's rows: command name -> the flags its row names. */
function readmeFlags(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of readme.split('\n')) {
    const m = /^\| `infra ([a-z -]+?)(?: [A-Z[].*?)?` \| (.*?) \| .* \|$/.exec(line);
    if (!m) continue;
    const cell = m[2].replace(/\([^)]*\)/g, '');
    const flags = new Set<string>();
    for (const [group, members] of Object.entries(GROUPS)) if (cell.includes(group)) members.forEach((f) => flags.add(f));
    for (const f of cell.matchAll(/`(--[a-z-]+)/g)) flags.add(f[1]);
    out.set(m[1], [...flags].sort());
  }
  return out;
}

describe('README: the commands table', () => {
  it('has a row for every command, naming exactly the flags its --help lists', () => {
    const actual = commandFlags();
    const documented = readmeFlags();
    expect([...documented.keys()].sort()).to.deep.equal([...actual.keys()].sort());
    for (const [name, flags] of actual) expect(documented.get(name), name).to.deep.equal(flags);
  });
});
