/**
 * linode_service_address brings its address up on the load balancer's interface and takes it
 * off again (Linode configures extra addresses on a guest only at boot): the scripts it runs over
 * SSH, run here for real in a network namespace of the test's own, with an interface holding
 * the host's own address.
 */
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { addressDownScript, addressUpScript } from '../../../src/providers/linode/service-address.js';

const OWN = '198.51.100.200';
const SERVICE = '198.51.100.201';

describe('linode_service_address: the address on the guest interface (a network namespace)', function () {
  this.timeout(20_000);
  const ns = `infra-svc-${randomBytes(3).toString('hex')}`;
  const inNs = (script: string) => spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', script], { encoding: 'utf8' });
  const addresses = (): string[] =>
    execFileSync('ip', ['-n', ns, '-o', '-4', 'addr', 'show'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.trim().split(/\s+/))
      .map((f) => `${f[1]} ${f[3]}`);

  before(function () {
    if (process.getuid?.() !== 0) throw new Error('This test needs root: it makes a network namespace.');
    execFileSync('ip', ['netns', 'add', ns]);
    // A veth pair whose far end is the namespace's eth0 (deleting the namespace deletes both).
    execFileSync('ip', ['link', 'add', `isvc-${ns.slice(-6)}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    execFileSync('ip', ['-n', ns, 'addr', 'add', `${OWN}/26`, 'dev', 'eth0']);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
  });
  after(() => {
    spawnSync('ip', ['netns', 'delete', ns]);
  });

  it('brings the address up as a /32 on the interface holding the host address, once', () => {
    const first = inNs(addressUpScript(SERVICE, OWN));
    expect(first.status, first.stderr).to.equal(0);
    expect(addresses()).to.deep.equal([`eth0 ${OWN}/26`, `eth0 ${SERVICE}/32`]);
    const again = inNs(addressUpScript(SERVICE, OWN));
    expect(again.status, again.stderr).to.equal(0);
    expect(addresses()).to.deep.equal([`eth0 ${OWN}/26`, `eth0 ${SERVICE}/32`]);
  });

  it('takes it off again, whatever its prefix, and is a no-op when it is not there', () => {
    execFileSync('ip', ['-n', ns, 'addr', 'add', '198.51.100.202/24', 'dev', 'eth0']);
    for (const a of [SERVICE, '198.51.100.202']) {
      const down = inNs(addressDownScript(a));
      expect(down.status, down.stderr).to.equal(0);
    }
    expect(addresses()).to.deep.equal([`eth0 ${OWN}/26`]);
    const none = inNs(addressDownScript(SERVICE));
    expect(none.status, none.stderr).to.equal(0);
    expect(addresses()).to.deep.equal([`eth0 ${OWN}/26`]);
  });

  it('fails with a reason when no interface holds the host address', () => {
    const r = inNs(addressUpScript(SERVICE, '198.51.100.9'));
    expect(r.status).to.equal(3);
    expect(r.stderr).to.equal('no interface holds 198.51.100.9\n');
    expect(addresses()).to.deep.equal([`eth0 ${OWN}/26`]);
  });
});
