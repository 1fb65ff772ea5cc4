import { expect } from 'chai';
import { blockOf, copyKey, formatAddress, hasKey, moduleOf, nameOf, parseAddress, targetMatches, typeAndName } from '../../src/addrs/address.js';

describe('Address', () => {
  it('formats the block part and the key', () => {
    expect(formatAddress({ type: 'local_host', name: 'ns', key: null })).to.equal('local_host.ns');
    expect(formatAddress({ type: 'local_host', name: 'ns', key: 3 })).to.equal('local_host.ns[3]');
    expect(formatAddress({ type: 'local_host', name: 'ns', key: 'a"[b' })).to.equal('local_host.ns["a\\"[b"]');
  });

  it('parses what it formats, keys holding brackets included', () => {
    for (const key of [null, 0, 12, 'ns1', 'a]b', 'a[b', '']) {
      const a = { type: 'local_host', name: 'ns', key };
      expect(parseAddress(formatAddress(a)).value).to.deep.equal(a);
    }
  });

  it('gives the parts of a text address', () => {
    expect(blockOf('local_host.ns["a[b"]')).to.equal('local_host.ns');
    expect(nameOf('local_host.ns["a"]')).to.equal('ns');
    expect(typeAndName('linode_instance.ns[0]')).to.deep.equal({ type: 'linode_instance', name: 'ns' });
    expect(copyKey({ address: 'local_host.ns["a"]', generation: 2 })).to.equal('local_host.ns["a"]#2');
  });

  it('matches a target by instance, block or bare name', () => {
    expect(targetMatches('local_host.ns["a"]', 'local_host.ns["a"]')).to.equal(true);
    expect(targetMatches('local_host.ns', 'local_host.ns["a"]')).to.equal(true);
    expect(targetMatches('ns', 'local_host.ns["a"]')).to.equal(true);
    expect(targetMatches('local_host.ns["b"]', 'local_host.ns["a"]')).to.equal(false);
    expect(targetMatches('local', 'local_host.ns')).to.equal(false);
  });

  it('parses, formats and takes apart addresses inside modules', () => {
    const a = { module: 'module.dns["a.b[c"].module.inner[0]', type: 'local_host', name: 'ns', key: 'x' };
    expect(formatAddress(a)).to.equal('module.dns["a.b[c"].module.inner[0].local_host.ns["x"]');
    expect(parseAddress(formatAddress(a)).value).to.deep.equal(a);
    expect(blockOf('module.dns["a"].local_host.ns["x"]')).to.equal('module.dns["a"].local_host.ns');
    expect(blockOf('module.dns["a"].local_host.ns')).to.equal('module.dns["a"].local_host.ns');
    expect(typeAndName('module.dns["a"].local_host.ns[2]')).to.deep.equal({ type: 'local_host', name: 'ns' });
    expect(nameOf('module.dns.local_host.ns')).to.equal('ns');
    expect(moduleOf('module.dns["a"].local_host.ns')).to.equal('module.dns["a"]');
    expect(moduleOf('local_host.ns')).to.equal('');
    expect(hasKey('module.dns["a"].local_host.ns')).to.equal(false);
    expect(parseAddress('module.dns["a"].module').value).to.equal(null);
    expect(parseAddress('modul.dns.local_host.ns').value).to.equal(null);
  });

  it('matches a module call or module instance target with everything inside it', () => {
    expect(targetMatches('module.dns', 'module.dns["a"].local_host.ns')).to.equal(true);
    expect(targetMatches('module.dns["a"]', 'module.dns["a"].local_host.ns')).to.equal(true);
    expect(targetMatches('module.dns["b"]', 'module.dns["a"].local_host.ns')).to.equal(false);
    expect(targetMatches('module.dn', 'module.dns["a"].local_host.ns')).to.equal(false);
    expect(targetMatches('module.dns["a"].local_host.ns', 'module.dns["a"].local_host.ns')).to.equal(true);
  });
});
