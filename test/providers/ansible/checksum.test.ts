import { appendFile, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Sensitive, UNKNOWN, type Value } from '../../../src/evaluate/value.js';
import { playbookFiles } from '../../../src/providers/ansible/checksum.js';
import { ansiblePlaybook } from '../../../src/providers/ansible/playbook.js';

const ANSIBLE_DIR = new URL('../../../ansible/', import.meta.url).pathname;

describe('ansible_playbook checksum (plan)', function () {
  let configDir: string;
  const host = { ipv4: '127.64.0.9', dir: '/tmp/x', connection: 'local' };

  function plan(vars: Value, playbook: Value = 'ansible/nameserver.yml', h: Value = host) {
    return ansiblePlaybook.plan!({
      address: 'ansible_playbook.ns',
      generation: 0,
      config: { playbook, host: h, vars },
      prior: null,
      configDir,
    });
  }
  function checksum(vars: Value = { zone: 'example.test', serial: 1 }): Value | undefined {
    const r = plan(vars);
    expect(r.diagnostics).to.deep.equal([]);
    return r.planned['checksum'];
  }

  beforeEach(async function () {
    configDir = await mkdtemp(join(tmpdir(), 'infra-checksum-'));
    await cp(ANSIBLE_DIR, join(configDir, 'ansible'), { recursive: true });
  });
  afterEach(async function () {
    await rm(configDir, { recursive: true, force: true });
  });

  it('is a deterministic sha256 that ignores the order of variables', function () {
    const a = checksum({ zone: 'example.test', serial: 1 });
    expect(a).to.match(/^sha256:[0-9a-f]{64}$/);
    expect(checksum({ serial: 1, zone: 'example.test' })).to.equal(a);
  });

  it('changes with the variables', function () {
    expect(checksum({ zone: 'example.test', serial: 2 })).to.not.equal(checksum({ zone: 'example.test', serial: 1 }));
  });

  it('changes with any file of the roles and with the playbook itself', async function () {
    const before = checksum();
    await appendFile(join(configDir, 'ansible/roles/bind/templates/zone.db.j2'), '; changed\n');
    const afterTemplate = checksum();
    expect(afterTemplate).to.not.equal(before);
    await appendFile(join(configDir, 'ansible/nameserver.yml'), '# changed\n');
    expect(checksum()).to.not.equal(afterTemplate);
  });

  it('ignores dotfiles, state files and other files beside the playbook', async function () {
    const before = checksum();
    await writeFile(join(configDir, 'ansible/infra.state.json'), '{}');
    await writeFile(join(configDir, 'ansible/README.md'), 'notes');
    await writeFile(join(configDir, 'ansible/roles/bind/.notes.swp'), 'x');
    await mkdir(join(configDir, 'ansible/.infra/hosts'), { recursive: true });
    await writeFile(join(configDir, 'ansible/.infra/hosts/x'), 'x');
    expect(checksum()).to.equal(before);
  });

  it('lists the files it covers', function () {
    const files = playbookFiles(join(configDir, 'ansible/nameserver.yml'));
    expect(files).to.include.members(['nameserver.yml', 'loadbalancer.yml', 'roles/bind/templates/zone.db.j2', 'roles/common/tasks/main.yml']);
    expect(files).to.deep.equal([...files].sort());
  });

  it('is unknown while a variable is unknown', function () {
    expect(plan({ zone: 'example.test', serial: UNKNOWN })).to.deep.equal({ planned: {}, diagnostics: [] });
  });

  it('is sensitive when a variable is', function () {
    const r = plan({ zone: 'example.test', password: new Sensitive('hunter2') });
    expect(r.planned['checksum']).to.be.instanceOf(Sensitive);
  });

  it('reports a missing playbook, reserved variable names and a host that is not one', function () {
    const r = plan({ infra_dir: '/elsewhere' }, 'ansible/nope.yml', { name: 'x' });
    expect(r.planned).to.deep.equal({});
    expect(r.diagnostics.map((d) => d.summary)).to.deep.equal([
      'Variable "infra_dir" of ansible_playbook is reserved',
      'The "host" of ansible_playbook is not a host',
      'Playbook "ansible/nope.yml" not found',
    ]);
    expect(r.diagnostics[2]?.detail).to.equal(
      `Looked for ${join(configDir, 'ansible/nope.yml')}; a playbook path is relative to the configuration directory.`,
    );
  });
});
