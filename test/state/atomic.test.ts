// Another process writes the state as fast as it can while this one reads it: every read must
// see a whole state, never a torn one, however the writer stops.
import { expect } from 'chai';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { forceUnlock, readLockInfo } from '../../src/state/lock.js';
import { readStateFile, StateStore } from '../../src/state/store.js';
import { Child, printDiagnostics, temporaryDirectory } from './helpers.js';

/** Resources per written state: about 50 KB, many disk blocks, so a torn write would show. */
const RESOURCES = 100;

describe('state/store atomicity against another process', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let statePath: string;
  let child: Child | undefined;

  beforeEach(async () => {
    ({ dir, cleanup } = await temporaryDirectory());
    statePath = join(dir, 'infra.state.json');
  });

  afterEach(async () => {
    await child?.stop();
    child = undefined;
    await cleanup();
  });

  /** Reads the state over and over until `enough` says stop; returns the serials seen, in order. */
  async function readWhileWritten(enough: (serials: readonly number[]) => boolean): Promise<number[]> {
    const serials: number[] = [];
    while (!enough(serials)) {
      const { state, diagnostics } = await readStateFile(statePath);
      expect(printDiagnostics(diagnostics)).to.equal('');
      expect(state!.resources).to.have.length(RESOURCES);
      serials.push(state!.serial);
    }
    return serials;
  }

  function expectNonDecreasing(serials: readonly number[]): void {
    expect(serials.every((s, i) => i === 0 || serials[i - 1] <= s)).to.equal(true);
  }

  it('never shows a reader a partial file, and leaves no temporary file behind', async () => {
    child = new Child('hammer-writes', [statePath, String(RESOURCES), '60']);
    expect(await child.nextLine()).to.equal('ready');
    let exited = false;
    void child.exited.then(() => (exited = true));
    const serials = await readWhileWritten(() => exited);
    expect(await child.exited).to.deep.equal({ code: 0, signal: null });
    expectNonDecreasing(serials);
    expect((await readStateFile(statePath)).state!.serial).to.equal(60);
    expect((await readdir(dir)).sort()).to.deep.equal(['infra.state.json', 'infra.state.json.backup']);
  });

  it('leaves a whole state when the writer is killed mid-write; the next writer clears its leftovers', async () => {
    child = new Child('hammer-writes', [statePath, String(RESOURCES), '0']);
    expect(await child.nextLine()).to.equal('ready');
    const seen = await readWhileWritten((serials) => serials.length > 0 && serials[serials.length - 1] >= 30);
    expectNonDecreasing(seen);
    child.process.kill('SIGKILL');
    expect(await child.exited).to.deep.equal({ code: null, signal: 'SIGKILL' });

    const { state, diagnostics } = await readStateFile(statePath);
    expect(printDiagnostics(diagnostics)).to.equal('');
    expect(state!.serial).to.be.at.least(seen[seen.length - 1]);
    // The previous state, or the current one when the kill fell between keeping the backup and
    // renaming the new file in.
    expect((await readStateFile(`${statePath}.backup`)).state!.serial).to.be.oneOf([state!.serial - 1, state!.serial]);

    // SIGKILL runs no exit handler: the lock stays, and says its holder is gone.
    const refused = await StateStore.open(statePath, { operation: 'apply' });
    expect(refused.store).to.equal(null);
    expect(refused.diagnostics[0].detail).to.contain(`The lock is stale: process ${child.process.pid} on this host`);
    const { info } = await readLockInfo(statePath);
    expect(await forceUnlock(statePath, info!.id)).to.deep.equal([]);

    const { store } = await StateStore.open(statePath, { operation: 'apply' });
    expect(store!.state).to.deep.equal(state);
    expect((await readdir(dir)).sort()).to.deep.equal(['infra.state.json', 'infra.state.json.backup', 'infra.state.json.lock']);
    await store!.persist(store!.state);
    expect(store!.state.serial).to.equal(state!.serial + 1);
    await store!.release();
  });
});
