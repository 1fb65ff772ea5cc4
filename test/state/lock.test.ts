import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { access, readFile, writeFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { acquireLock, forceUnlock, lockPathFor, readLockInfo, type LockInfo, type StateLock } from '../../src/state/lock.js';
import { StateStore } from '../../src/state/store.js';
import { INFRA_VERSION } from '../../src/state/version.js';
import { Child, printDiagnostics, temporaryDirectory } from './helpers.js';
import { runCli } from '../support/cli.js';

const who = `${userInfo().username}@${hostname()}`;

function lockInfoText(lockPath: string, info: LockInfo): string {
  return [
    'Lock Info:',
    `  ID:        ${info.id}`,
    `  Path:      ${lockPath}`,
    `  Operation: ${info.operation}`,
    `  Who:       ${info.who}`,
    `  PID:       ${info.pid}`,
    `  Version:   ${info.infra_version}`,
    `  Created:   ${info.created}`,
  ].join('\n');
}

function heldElsewhere(lockPath: string, info: LockInfo, waitedMs = 0): string {
  return [
    'Error: Error acquiring the state lock',
    ...(waitedMs > 0 ? [`Gave up after waiting ${waitedMs} ms for the lock.`, ''] : []),
    lockInfoText(lockPath, info),
    '',
    'Another infra process is using this state. Wait for it to finish' +
      `${waitedMs > 0 ? '' : ' (or use --lock-timeout to wait for it)'}. ` +
      'If it is gone and the lock was left behind, remove the lock with:',
    `  infra force-unlock ${info.id}`,
  ].join('\n');
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** The pid of a process that has exited (pids are not reused that soon). */
function deadPid(): number {
  const { pid } = spawnSync(process.execPath, ['-e', '']);
  return pid!;
}

describe('state/lock', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let statePath: string;
  let lockPath: string;
  const held: StateLock[] = [];

  beforeEach(async () => {
    ({ dir, cleanup } = await temporaryDirectory());
    statePath = join(dir, 'infra.state.json');
    lockPath = lockPathFor(statePath);
  });

  afterEach(async () => {
    for (const lock of held.splice(0)) await lock.release();
    await cleanup();
  });

  async function acquire(operation = 'apply'): Promise<StateLock> {
    const { lock, diagnostics } = await acquireLock(statePath, { operation });
    expect(printDiagnostics(diagnostics)).to.equal('');
    held.push(lock!);
    return lock!;
  }

  it('writes who, when, which operation and an ID into <state>.lock, and removes it on release', async () => {
    const lock = await acquire('destroy');
    const onDisk = JSON.parse(await readFile(lockPath, 'utf8')) as LockInfo;
    expect(onDisk).to.deep.equal(lock.info);
    expect(Object.keys(onDisk)).to.deep.equal(['id', 'who', 'pid', 'operation', 'created', 'infra_version']);
    expect(onDisk).to.include({ who, pid: process.pid, operation: 'destroy', infra_version: INFRA_VERSION });
    expect(await lock.release()).to.deep.equal([]);
    expect(await exists(lockPath)).to.equal(false);
    expect(await lock.release()).to.deep.equal([]);
  });

  it('fails a second acquirer at once, showing the holder', async () => {
    const first = await acquire();
    const second = await acquireLock(statePath, { operation: 'plan' });
    expect(second.lock).to.equal(null);
    expect(printDiagnostics(second.diagnostics)).to.equal(heldElsewhere(lockPath, first.info));
  });

  it('reports a lock taken by a process of this host that is gone as stale, and leaves it', async () => {
    const info: LockInfo = {
      id: '0b5e6c1e-8f1c-4a57-9d4c-0a3c5f2e7d11',
      who,
      pid: deadPid(),
      operation: 'apply',
      created: '2026-01-02T03:04:05.000Z',
      infra_version: '0.0.9',
    };
    await writeFile(lockPath, JSON.stringify(info));
    const { lock, diagnostics } = await acquireLock(statePath, { operation: 'plan' });
    expect(lock).to.equal(null);
    expect(printDiagnostics(diagnostics)).to.equal(
      [
        'Error: Error acquiring the state lock',
        lockInfoText(lockPath, info),
        '',
        `The lock is stale: process ${info.pid} on this host, which took it for apply, is no longer running ` +
          '(it crashed or was killed). Check that nothing it was doing is half-done, then remove the lock with:',
        '  infra force-unlock 0b5e6c1e-8f1c-4a57-9d4c-0a3c5f2e7d11',
      ].join('\n'),
    );
    expect(await exists(lockPath)).to.equal(true);
  });

  it('cannot tell whether the holder of a lock taken on another host is running, so does not call it stale', async () => {
    const info: LockInfo = {
      id: '0b5e6c1e-8f1c-4a57-9d4c-0a3c5f2e7d11',
      who: 'ci@elsewhere.invalid',
      pid: deadPid(),
      operation: 'apply',
      created: '2026-01-02T03:04:05.000Z',
      infra_version: '0.0.9',
    };
    await writeFile(lockPath, JSON.stringify(info));
    const { diagnostics } = await acquireLock(statePath, { operation: 'plan' });
    expect(printDiagnostics(diagnostics)).to.equal(heldElsewhere(lockPath, info));
  });

  it('reports a lock file it cannot read, and how to remove it', async () => {
    await writeFile(lockPath, 'not json');
    const { lock, diagnostics } = await acquireLock(statePath, { operation: 'plan' });
    expect(lock).to.equal(null);
    expect(printDiagnostics(diagnostics)).to.equal(
      [
        'Error: Error acquiring the state lock',
        `The lock file ${lockPath} exists but could not be read: Unexpected token 'o', "not json" is not valid JSON.`,
        'If no infra process is using this state, delete that file by hand.',
      ].join('\n'),
    );
  });

  it('force-unlock removes the lock only when given its ID', async () => {
    const info: LockInfo = {
      id: '0b5e6c1e-8f1c-4a57-9d4c-0a3c5f2e7d11',
      who,
      pid: deadPid(),
      operation: 'apply',
      created: '2026-01-02T03:04:05.000Z',
      infra_version: '0.0.9',
    };
    await writeFile(lockPath, JSON.stringify(info));

    const wrong = await forceUnlock(statePath, '11111111-2222-4333-8444-555555555555');
    expect(printDiagnostics(wrong)).to.equal(
      [
        'Error: Lock ID does not match',
        'The state is locked with ID 0b5e6c1e-8f1c-4a57-9d4c-0a3c5f2e7d11, not 11111111-2222-4333-8444-555555555555.',
        '',
        lockInfoText(lockPath, info),
      ].join('\n'),
    );
    expect(await exists(lockPath)).to.equal(true);

    expect(await forceUnlock(statePath, info.id)).to.deep.equal([]);
    expect(await exists(lockPath)).to.equal(false);
    expect(await readLockInfo(statePath)).to.deep.equal({ info: null, diagnostics: [] });
  });

  it('infra force-unlock of a running holder prints the warning, then says the lock is gone', async () => {
    const first = await acquire();
    const r = await runCli(['force-unlock', first.info.id, '--state', statePath], { cwd: dir });
    expect(r.code).to.equal(0);
    expect(r.stderr).to.equal(
      'Warning: Removed the lock of a running process\n' +
        `Process ${process.pid} (apply) is still running on this host and may still write the state.\n`,
    );
    expect(r.stdout).to.equal(`Lock ${first.info.id} removed. The state is unlocked.\n`);
    expect(await exists(lockPath)).to.equal(false);
  });

  it('force-unlock with no lock is an error', async () => {
    const diagnostics = await forceUnlock(statePath, '0b5e6c1e-8f1c-4a57-9d4c-0a3c5f2e7d11');
    expect(printDiagnostics(diagnostics)).to.equal(
      `Error: No state lock to remove\nThere is no lock file ${lockPath}: the state is not locked.`,
    );
  });

  it('force-unlock of a running holder warns, and the holder then leaves the new lock alone', async () => {
    const first = await acquire();
    const unlocked = await forceUnlock(statePath, first.info.id);
    expect(printDiagnostics(unlocked)).to.equal(
      'Warning: Removed the lock of a running process\n' +
        `Process ${process.pid} (apply) is still running on this host and may still write the state.`,
    );
    const second = await acquire('destroy');
    expect(printDiagnostics(await first.release())).to.equal(
      'Warning: The state lock now belongs to someone else and was left in place\n' +
        `This apply held lock ${first.info.id}, but ${lockPath} now holds lock ${second.info.id} ` +
        `(${who}, destroy): ours was force-unlocked.`,
    );
    expect((await readLockInfo(statePath)).info).to.deep.equal(second.info);
    await second.release();
    const third = await acquire();
    await forceUnlock(statePath, third.info.id);
    expect(printDiagnostics(await third.release())).to.equal(
      `Warning: The state lock was already removed\n${lockPath} was removed while this apply held it (by infra force-unlock?).`,
    );
  });

  describe('between two processes', () => {
    let child: Child | undefined;

    afterEach(async () => {
      await child?.stop();
      child = undefined;
    });

    it('fails at once, or after the timeout, while the other holds it, and waits for it to go', async () => {
      child = new Child('hold-lock', [statePath, 'plan']);
      const info = JSON.parse(await child.nextLine()) as LockInfo;
      expect(info).to.include({ who, pid: child.process.pid, operation: 'plan' });

      const atOnce = await StateStore.open(statePath, { operation: 'apply' });
      expect(atOnce.store).to.equal(null);
      expect(printDiagnostics(atOnce.diagnostics)).to.equal(heldElsewhere(lockPath, info));

      const timedOut = await StateStore.open(statePath, { operation: 'apply', lockTimeoutMs: 300 });
      expect(timedOut.store).to.equal(null);
      expect(printDiagnostics(timedOut.diagnostics)).to.equal(heldElsewhere(lockPath, info, 300));

      let settled = false;
      const waiting = StateStore.open(statePath, { operation: 'apply', lockTimeoutMs: 60_000 }).finally(() => (settled = true));
      await sleep(200);
      expect(settled).to.equal(false);
      // The child exits with process.exit() and no release: its exit handler frees the lock.
      child.send('exit');
      expect(await child.exited).to.deep.equal({ code: 0, signal: null });
      const opened = await waiting;
      expect(printDiagnostics(opened.diagnostics)).to.equal('');
      const mine = (await readLockInfo(statePath)).info!;
      expect(mine).to.include({ pid: process.pid, operation: 'apply' });
      await opened.store!.release();
      expect(await exists(lockPath)).to.equal(false);
    });
  });
});
