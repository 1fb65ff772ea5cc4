import { expect } from 'chai';
import { blockOf, copyKey, formatAddress, nameOf, parseAddress, targetMatches, typeAndName } from '../../src/addrs/address.js';

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
});
