import { appendFile, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Sensitive, UNKNOWN, type Value } from '../../../src/evaluate/value.js';
import { typeInfo } from '../../../src/commands/session.js';
import { NODE_FILES, playbookFiles, type PlaybookFileSystem } from '../../../src/providers/ansible/checksum.js';
import { provider } from '../../../src/providers/ansible/index.js';
import { ansiblePlaybook, startPlan } from '../../../src/providers/ansible/playbook.js';
import type { PlanRequest } from '../../../src/providers/contract.js';

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

  /** node:fs, counting each call by "call path" (paths relative to configDir). */
  function countingFiles(): { fs: PlaybookFileSystem; calls: Map<string, number> } {
    const calls = new Map<string, number>();
    const count = (call: string, path: string): void => {
      const key = `${call} ${path.slice(configDir.length + 1)}`;
      calls.set(key, (calls.get(key) ?? 0) + 1);
    };
    return {
      calls,
      fs: {
        readdir: (p) => (count('readdir', p), NODE_FILES.readdir(p)),
        stat: (p) => (count('stat', p), NODE_FILES.stat(p)),
        readFile: (p) => (count('readFile', p), NODE_FILES.readFile(p)),
      },
    };
  }
  const instance = (i: number, playbook = 'ansible/nameserver.yml'): PlanRequest => ({
    address: `ansible_playbook.ns["${i}"]`,
    generation: 0,
    config: { playbook, host, vars: { zone: 'example.test', serial: i } },
    prior: null,
    configDir,
  });

  it("reads a playbook's files once per plan, however many instances use it, with the checksums of a fresh read", function () {
    const { fs, calls } = countingFiles();
    const hook = startPlan(fs);
    const planned = Array.from({ length: 50 }, (_, i) => hook(instance(i)));
    expect(planned.map((r) => r.planned['checksum'])).to.deep.equal(Array.from({ length: 50 }, (_, i) => ansiblePlaybook.plan!(instance(i)).planned['checksum']));
    expect(new Set(planned.map((r) => r.planned['checksum'])).size).to.equal(50);
    const files = playbookFiles(join(configDir, 'ansible/nameserver.yml'));
    expect(files.length).to.be.greaterThan(5);
    expect([...calls].filter(([call]) => call.startsWith('readFile ')).sort()).to.deep.equal(files.map((f) => [`readFile ansible/${f}`, 1]).sort());
    // Nothing more than once, but the playbook's stat: finding it, and listing its directory.
    expect([...calls].filter(([, n]) => n > 1)).to.deep.equal([['stat ansible/nameserver.yml', 2]]);
    // A second playbook in the same plan costs what one instance of it costs alone.
    const before = new Map(calls);
    hook(instance(0, 'ansible/loadbalancer.yml'));
    hook(instance(1, 'ansible/loadbalancer.yml'));
    const alone = countingFiles();
    startPlan(alone.fs)(instance(0, 'ansible/loadbalancer.yml'));
    const added = [...calls].map(([k, n]): [string, number] => [k, n - (before.get(k) ?? 0)]).filter(([, n]) => n !== 0);
    expect(added.sort()).to.deep.equal([...alone.calls].sort());
  });

  it('sees a file changed between two plans: each plan (each typeInfo) starts afresh', async function () {
    const planOf = () => typeInfo(new Map([['ansible', provider]]))('ansible_playbook')!.plan!;
    const first = planOf();
    const before = first(instance(1)).planned['checksum'];
    await appendFile(join(configDir, 'ansible/roles/bind/templates/zone.db.j2'), '; changed\n');
    // Within one plan the reading is shared: its other instances see the files as they were.
    expect(first(instance(1)).planned['checksum']).to.equal(before);
    const second = planOf();
    const after = second(instance(1)).planned['checksum'];
    expect(after).to.match(/^sha256:[0-9a-f]{64}$/);
    expect(after).to.not.equal(before);
    expect(after).to.equal(ansiblePlaybook.plan!(instance(1)).planned['checksum']);
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
