/**
 * `npm run lab`: the Linode API emulator with a real Debian host behind every instance, for
 * trying examples/dns.infra without a Linode account (docs/lab.md). Runs until Ctrl-C, then
 * powers every host off and removes the lab.
 *
 * `npm run lab -- clean` removes what labs whose process died left behind, and exits.
 *
 * Needs root and what `npm run setup` installs.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanStaleLabs } from '../test/support/lab/leftovers.js';
import { labUnavailable } from '../test/support/lab/lab.js';
import { startLabEmulator } from '../test/support/lab/lab-emulator.js';
import { makeSshKey } from '../test/support/lab/ssh.js';
import { run, sleep } from '../test/support/lab/commands.js';

async function main(args: readonly string[]): Promise<number> {
  const unavailable = await labUnavailable();
  if (unavailable !== null) {
    process.stderr.write(`lab: ${unavailable}\n`);
    return 1;
  }
  if (args[0] === 'clean') {
    const removed = await cleanStaleLabs();
    process.stdout.write(removed.length === 0 ? 'lab: no leftovers\n' : `lab: removed the leftovers of ${removed.join(', ')}\n`);
    return 0;
  }
  if (args.length > 0) {
    process.stderr.write('usage: npm run lab [-- clean]\n');
    return 2;
  }

  const dir = await mkdtemp(join(tmpdir(), 'infra-lab-'));
  const key = await makeSshKey(dir, 'infra-lab');
  const knownHosts = join(dir, 'known_hosts');
  const agentSocket = join(dir, 'agent.sock');
  const agent = await startAgent(agentSocket, key.privateKeyPath, dir);
  const labEmulator = await startLabEmulator({ token: process.env.LINODE_TOKEN || undefined });
  const { lab, emulator } = labEmulator;

  emulator.onCreated = (instance) => {
    const ipv4 = instance.ipv4[0] ?? '?';
    log(`instance ${instance.id} "${instance.label}" created: host ${ipv4} booting`);
    labEmulator.waitForSsh(instance.id).then(
      (host) => log(`instance ${instance.id} "${instance.label}": sshd on ${ipv4} answers (${host.sshReadyMs} ms after boot)`),
      (e: unknown) => log(`instance ${instance.id} "${instance.label}": ${e instanceof Error ? e.message : String(e)}`),
    );
  };

  const keyVar = JSON.stringify([key.publicKey]);
  process.stdout.write(
    [
      `Lab ${lab.id} is up: hosts get addresses in ${lab.subnet} (this machine is ${lab.gateway} there).`,
      '',
      'In another shell (as root):',
      `  export LINODE_URL=${labEmulator.url}`,
      `  export LINODE_TOKEN=${labEmulator.token}`,
      ...(agent ? [`  export SSH_AUTH_SOCK=${agentSocket}      # an ssh-agent holding the lab's key`] : []),
      `  npx infra apply -C examples/dns.infra --var 'authorized_keys=${keyVar}' --var ssh_private_key_file=${key.privateKeyPath}`,
      '',
      `SSH key: ${key.privateKeyPath}`,
      `  ssh -i ${key.privateKeyPath} -o UserKnownHostsFile=${knownHosts} root@${lab.pool[0]}`,
      '',
      'Ctrl-C powers every host off and removes the lab.',
      '',
    ].join('\n'),
  );

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  // A second Ctrl-C while stopping is ignored: leaving hosts behind would be worse.
  const ignore = (): void => log('still stopping: powering hosts off');
  process.on('SIGINT', ignore);
  log(`stopping: powering off ${lab.hosts.length} host(s)`);
  await labEmulator.close();
  // With an agent, its watchdog removes the key's directory a second after this process exits.
  if (!agent) await rm(dir, { recursive: true, force: true });
  log('lab removed');
  return 0;
}

/**
 * Starts an ssh-agent on `socket` holding `key`; false (with a note) when there is none. A
 * watchdog stops it and removes `dir` once this process is gone, however it ended (kill -9
 * too), so the agent never outlives the lab.
 */
async function startAgent(socket: string, key: string, dir: string): Promise<boolean> {
  try {
    await run('sh', ['-c', 'command -v ssh-agent']);
  } catch {
    log('ssh-agent is missing: pass the key to ssh yourself');
    return false;
  }
  const watchdog = 'ssh-agent -D -a "$1" & agent=$!; while kill -0 "$2" 2>/dev/null; do sleep 1; done; kill "$agent"; rm -rf "$3"';
  spawn('sh', ['-c', watchdog, 'sh', socket, String(process.pid), dir], { stdio: 'ignore', detached: true }).unref();
  for (let i = 0; i < 50; i++) {
    await sleep(50);
    try {
      await run('ssh-add', ['-q', key], { env: { SSH_AUTH_SOCK: socket } });
      return true;
    } catch {
      // the socket is not there yet
    }
  }
  log(`ssh-agent did not start on ${socket}: pass the key to ssh yourself`);
  return false;
}

function log(line: string): void {
  process.stdout.write(`[lab] ${line}\n`);
}

process.exitCode = await main(process.argv.slice(2));
