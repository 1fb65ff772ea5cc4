import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  checkSshSettings,
  commandFor,
  DEFAULT_SSH,
  forgetHostKey,
  parseHost,
  runOnHost,
  shellQuote,
  stateKnownHostsFile,
  writeFileOnHost,
  type HostRef,
} from '../../../src/providers/hostexec.js';

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
    expect(parseHost({ ipv4: '192.0.2.7', label: 'ns1' })).to.deep.equal({ ipv4: '192.0.2.7', connection: 'ssh', ssh: DEFAULT_SSH });
    expect(parseHost({ ipv4: '192.0.2.7', connection: 'ssh', ssh: null })).to.deep.equal({ ipv4: '192.0.2.7', connection: 'ssh', ssh: DEFAULT_SSH });
    expect(
      parseHost({
        ipv4: '192.0.2.7',
        connection: 'ssh',
        ssh: { user: 'deploy', port: 2222, private_key_file: '~/.ssh/id_ed25519', host_key_checking: 'strict', known_hosts_file: '/etc/infra/known_hosts' },
      }),
    ).to.deep.equal({
      ipv4: '192.0.2.7',
      connection: 'ssh',
      ssh: { user: 'deploy', port: 2222, privateKeyFile: join(homedir(), '.ssh/id_ed25519'), hostKeyChecking: 'strict', knownHostsFile: '/etc/infra/known_hosts' },
    });
    expect(parseHost({ ipv4: '192.0.2.7', ssh: { port: 0 } })).to.equal('ssh.port is 0; expected a TCP port number (1-65535)');
    expect(parseHost({ ipv4: '192.0.2.7', ssh: { user: '-oProxyCommand=x' } })).to.equal(
      'ssh.user is "-oProxyCommand=x"; expected a user name (letters, digits, "_", "-", ".")',
    );
    expect(parseHost({ ipv4: '192.0.2.7', ssh: { host_key_checking: 'no' } })).to.equal(
      'ssh.host_key_checking is "no"; expected one of "accept-new", "strict", "off"',
    );
    expect(parseHost({ ipv4: '192.0.2.7', ssh: { private_key_file: 'keys/id' } })).to.equal(
      'ssh.private_key_file is "keys/id"; expected an absolute path or one starting with "~/" (for a file beside the configuration: "${path.root}/...")',
    );
    expect(parseHost({ ipv4: '127.64.1.2', connection: 'local' })).to.equal('a local host needs "dir", an absolute path');
    expect(parseHost({ id: 5 })).to.equal('the host has no "ipv4" attribute holding an IPv4 address (attributes: id)');
    expect(parseHost({ ipv4: '192.0.2.7', connection: 'telnet' })).to.equal('the host\'s "connection" is "telnet"; expected "local" or "ssh"');
    expect(parseHost('ns1')).to.equal('expected a host resource object, such as local_host.ns["ns1"]');
  });

  it('runs commands locally as they are, and remotely through ssh as root with quoted arguments', function () {
    expect(commandFor(local, ['nginx', '-t'])).to.deep.equal(['nginx', '-t']);
    expect(commandFor(remote, ['sh', '-c', "echo 'hi' $HOME", '/etc/nginx/streams/a b.conf'], '/s/.infra/L.known_hosts')).to.deep.equal([
      'ssh',
      ...['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-o', 'StrictHostKeyChecking=accept-new'],
      ...['-o', 'UserKnownHostsFile=/s/.infra/L.known_hosts', '-o', 'HashKnownHosts=no', '-o', 'LogLevel=ERROR'],
      '-p',
      '22',
      'root@192.0.2.7',
      '--',
      `sh -c 'echo '\\''hi'\\'' $HOME' '/etc/nginx/streams/a b.conf'`,
    ]);
    expect(() => commandFor(remote, ['true'])).to.throw("sshOptions: an ssh host needs the state's known-hosts file");
    expect(shellQuote('/etc/nginx/nginx.conf')).to.equal('/etc/nginx/nginx.conf');
    const configured = parseHost({
      ipv4: '192.0.2.7',
      ssh: { user: 'deploy', port: 2222, private_key_file: '/keys/id_ed25519', host_key_checking: 'strict', known_hosts_file: '/etc/infra/known_hosts' },
    }) as HostRef;
    expect(commandFor(configured, ['true'], '/s/.infra/L.known_hosts').join(' ')).to.equal(
      'ssh -o BatchMode=yes -o ConnectTimeout=10 -o StrictHostKeyChecking=yes -o UserKnownHostsFile=/etc/infra/known_hosts -o HashKnownHosts=no ' +
        '-o LogLevel=ERROR -o IdentityFile=/keys/id_ed25519 -o IdentitiesOnly=yes -p 2222 deploy@192.0.2.7 -- true',
    );
    const unchecked = parseHost({ ipv4: '192.0.2.7', ssh: { host_key_checking: 'off' } }) as HostRef;
    expect(commandFor(unchecked, ['true']).slice(5, 9)).to.deep.equal(['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null']);
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

  it('keeps host keys in a file of the state, beside it', function () {
    expect(stateKnownHostsFile({ stateDir: '/srv/dns', lineage: '0b7c' })).to.equal('/srv/dns/.infra/0b7c.known_hosts');
  });

  it('forgets every key of an address, whatever the port, and nothing else', async function () {
    const file = join(dir, 'known_hosts');
    await writeFile(
      file,
      [
        '198.51.100.7 ssh-ed25519 AAAAold',
        '[198.51.100.7]:2222 ssh-ed25519 AAAAold2',
        '198.51.100.70 ssh-ed25519 AAAAkeep1',
        '# a comment about 198.51.100.7',
        'other.example,198.51.100.7 ssh-rsa AAAAold3',
        // hashed as ssh-keygen -H does (HMAC-SHA1 of "198.51.100.7", salt "salt-of-twenty-byte!")
        '|1|c2FsdC1vZi10d2VudHktYnl0ZSE=|8RcywOoz0OoOqiKqgnKUIzUshgo= ssh-ed25519 AAAAold4',
        '[198.51.100.8]:22 ssh-ed25519 AAAAkeep2',
        '',
      ].join('\n'),
    );
    expect(await forgetHostKey(file, '198.51.100.7')).to.equal(undefined);
    expect(await readFile(file, 'utf8')).to.equal(
      ['198.51.100.70 ssh-ed25519 AAAAkeep1', '# a comment about 198.51.100.7', '[198.51.100.8]:22 ssh-ed25519 AAAAkeep2', ''].join('\n'),
    );
    expect(await forgetHostKey(join(dir, 'no-such-file'), '198.51.100.7')).to.equal(undefined);
  });

  it('checks a private key file at plan time by its metadata: missing, not a file, readable by others', async function () {
    const key = join(dir, 'id_test');
    await writeFile(key, 'not a real key', { mode: 0o600 });
    const at = (file: string) => ({ private_key_file: file });
    expect(checkSshSettings(at(key), 'linode_instance.lb["lb1"]')).to.deep.equal([]);
    expect(checkSshSettings(null, 'linode_instance.lb["lb1"]')).to.deep.equal([]);
    expect(checkSshSettings(at(join(dir, 'nope')), 'linode_instance.lb["lb1"]')).to.deep.equal([
      {
        severity: 'error',
        summary: `Private key file ${join(dir, 'nope')} does not exist`,
        detail: `ssh.private_key_file of linode_instance.lb["lb1"] is "${join(dir, 'nope')}"; no file was found at ${join(dir, 'nope')}.`,
      },
    ]);
    expect(checkSshSettings(at(dir), 'linode_instance.lb["lb1"]').map((d) => d.summary)).to.deep.equal([`Private key file ${dir} is not a file`]);
    await chmod(key, 0o644);
    expect(checkSshSettings(at(key), 'linode_instance.lb["lb1"]')).to.deep.equal([
      {
        severity: 'error',
        summary: `Private key file ${key} may be read by others (mode 0644)`,
        detail: `ssh.private_key_file of linode_instance.lb["lb1"] is "${key}"; ssh refuses to use a private key that group or others can read. Make it private: chmod 600 ${key}`,
      },
    ]);
    expect(checkSshSettings({ port: 'x' }, 'linode_instance.lb["lb1"]').map((d) => [d.summary, d.detail])).to.deep.equal([
      ['Invalid ssh settings of linode_instance.lb["lb1"]', 'ssh.port is "x"; expected a TCP port number (1-65535).'],
    ]);
  });
});
