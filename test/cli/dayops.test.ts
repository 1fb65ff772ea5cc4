import { expect } from 'chai';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useRecordingProject } from '../support/recording-project.js';

describe('cli: moved blocks and infra import with the recording provider', () => {
  const p = useRecordingProject({ 'main.infra': 'resource "test_instance" "web" {\n  name = "web"\n}\n' });
  const rename = (): void =>
    writeFileSync(join(p.dir, 'main.infra'), 'resource "test_instance" "app" {\n  name = "web"\n}\n\nmoved {\n  from = test_instance.web\n  to   = test_instance.app\n}\n');

  it('a type whose provider cannot read objects by ID is refused by name; nothing is written', async () => {
    const r = await p.cli('import', 'test_instance.web', 'i-1');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(
      'Error: Resource type test_instance cannot be imported\n' +
        'infra creates its objects and cannot read one by an ID. Types that can be imported: none among the providers this configuration uses (docs/cli.md, "infra import").\n',
    );
    expect(existsSync(join(p.dir, 'infra.state.json'))).to.equal(false);
  });

  it('apply carries out a moved block without calling the provider but to read', async () => {
    expect((await p.cli('apply', '--auto-approve')).code).to.equal(0);
    const id = p.state().resources[0].attributes.id;
    rename();
    const calls = p.provider.calls.length;
    const r = await p.cli('apply', '--auto-approve');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('  # test_instance.web has moved to test_instance.app\n');
    expect(p.provider.calls.slice(calls).filter((c) => c.op !== 'read').map((c) => c.op)).to.deep.equal([]);
    expect(p.state().resources.map((x) => [x.address, x.attributes.id])).to.deep.equal([['test_instance.app', id]]);
    // (The recording provider keys its objects by address, so it cannot find one that moved:
    // the next plan after a rename is checked against the Linode emulator, test/e2e/linode-dayops.)
  });

  it('a saved plan whose moves are malformed is refused field by field', async () => {
    expect((await p.cli('apply', '--auto-approve')).code).to.equal(0);
    rename();
    expect((await p.cli('plan', '--out', 'm.plan')).code).to.equal(0);
    const file = join(p.dir, 'm.plan');
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    saved.plan.moves = [{ from: 1 }];
    writeFileSync(file, JSON.stringify(saved));
    const r = await p.cli('show', 'm.plan');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal('Error: Invalid saved plan\nm.plan:\n  plan.moves[0].from: expected an address, got 1\n  plan.moves[0].to: missing\n');
  });

  it('infra validate reports a move from a resource still declared', async () => {
    writeFileSync(join(p.dir, 'main.infra'), 'resource "test_instance" "web" {\n  name = "web"\n}\n\nmoved {\n  from = test_instance.web\n  to   = test_instance.app\n}\n');
    const r = await p.cli('validate');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('main.infra:5:1: Error: Moved object still exists\n');
  });
});
