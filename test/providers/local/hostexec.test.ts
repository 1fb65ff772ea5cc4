import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { commandFor, parseHost, runOnHost, shellQuote, writeFileOnHost, type HostRef } from '../../../src/providers/hostexec.js';

describe('hostexec', function () {
  let dir: string;
  let local: HostRef;
  const remote: HostRef = { ipv4: '192.0.2.7', connection: 'ssh' };

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), 'infra-hostexec-'));
    local = { ipv4: '127.0.0.1', connection: 'local', dir };
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads host resource objects', function () {
    expect(parseHost({ ipv4: '127.64.1.2', dir: '/x', connection: 'local', extra: 1 })).to.deep.equal({
      ipv4: '127.64.1.2',
      connection: 'local',
      dir: '/x',
    });
    expect(parseHost({ ipv4: '192.0.2.7', label: 'ns1' })).to.deep.equal({ ipv4: '192.0.2.7', connection: 'ssh' });
    expect(parseHost({ ipv4: '127.64.1.2', connection: 'local' })).to.equal('a local host needs "dir", an absolute path');
    expect(parseHost({ id: 5 })).to.equal('the host has no "ipv4" attribute holding an IPv4 address (attributes: id)');
    expect(parseHost({ ipv4: '192.0.2.7', connection: 'telnet' })).to.equal('the host\'s "connection" is "telnet"; expected "local" or "ssh"');
    expect(parseHost('ns1')).to.equal('expected a host resource object, such as local_host.ns["ns1"]');
  });

  it('runs commands locally as they are, and remotely through ssh as root with quoted arguments', function () {
    expect(commandFor(local, ['nginx', '-t'])).to.deep.equal(['nginx', '-t']);
    expect(commandFor(remote, ['sh', '-c', "echo 'hi' $HOME", '/etc/nginx/streams/a b.conf'])).to.deep.equal([
      'ssh',
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=accept-new',
      '-o',
      'ConnectTimeout=10',
      'root@192.0.2.7',
      '--',
      `sh -c 'echo '\\''hi'\\'' $HOME' '/etc/nginx/streams/a b.conf'`,
    ]);
    expect(shellQuote('/etc/nginx/nginx.conf')).to.equal('/etc/nginx/nginx.conf');
    expect(shellQuote('')).to.equal("''");
  });

  it('runs a local command and reports its failure in one line', async function () {
    expect(await runOnHost(local, ['sh', '-c', 'echo out; echo err >&2'])).to.deep.equal({ ok: true, exitCode: 0, stdout: 'out\n', stderr: 'err\n' });
    const failed = await runOnHost(local, ['sh', '-c', 'echo "nginx: [emerg] bad" >&2; exit 3']);
    expect(failed).to.deep.include({ ok: false, exitCode: 3, problem: 'sh exited with status 3: nginx: [emerg] bad' });
    const missing = await runOnHost(local, ['no-such-program-here']);
    expect(missing.ok).to.equal(false);
    expect(missing.problem).to.match(/^no-such-program-here could not run: /);
    expect((await runOnHost(local, ['cat'], { input: 'piped' })).stdout).to.equal('piped');
  });

  it('replaces a file atomically with the mode asked for', async function () {
    const path = join(dir, 'x.conf');
    expect((await writeFileOnHost(local, path, 'one\n')).ok).to.equal(true);
    expect((await writeFileOnHost(local, path, 'two\n', { mode: 0o600 })).ok).to.equal(true);
    expect(await readFile(path, 'utf8')).to.equal('two\n');
    expect((await stat(path)).mode & 0o777).to.equal(0o600);
    const failed = await writeFileOnHost(local, join(dir, 'missing-dir', 'x.conf'), 'x');
    expect(failed.ok).to.equal(false);
    expect(failed.problem).to.match(/^could not write .*missing-dir\/x\.conf: ENOENT/);
  });
});
