import { expect } from 'chai';
import { parseAddress } from '../../src/addrs/address.js';
import { forgetInstances, moveInstances } from '../../src/state/move.js';
import { sortInstances } from '../../src/state/query.js';
import { emptyState } from '../../src/state/store.js';
import type { StateFile } from '../../src/state/types.js';
import { printDiagnostics, sampleInstance } from './helpers.js';

const addr = (text: string) => parseAddress(text).value!;

function sample(): StateFile {
  return {
    ...emptyState(),
    resources: sortInstances([
      sampleInstance('linode_instance.lb["a"]', { generation: 1, color: 'blue', live: false }),
      sampleInstance('linode_instance.lb["a"]', { generation: 2, color: 'green', live: true }),
      sampleInstance('linode_instance.lb["b"]', { generation: 1, color: 'blue' }),
      sampleInstance('dns_check.lb', { dependencies: ['linode_instance.lb["a"]', 'linode_instance.lb'] }),
    ]),
  };
}

describe('state: move and forget', () => {
  it('moves every key and every copy of a whole resource, and the dependencies on it', () => {
    const r = moveInstances(sample(), addr('linode_instance.lb'), addr('linode_instance.edge'));
    expect(r.diagnostics).to.deep.equal([]);
    expect(r.changed).to.deep.equal(['linode_instance.lb["a"]', 'linode_instance.lb["a"]', 'linode_instance.lb["b"]']);
    expect(r.state!.resources.map((x) => `${x.address}#${x.generation} ${x.name} ${x.index}`)).to.deep.equal([
      'dns_check.lb#0 lb null',
      'linode_instance.edge["a"]#1 edge a',
      'linode_instance.edge["a"]#2 edge a',
      'linode_instance.edge["b"]#1 edge b',
    ]);
    expect(r.state!.resources[0].dependencies).to.deep.equal(['linode_instance.edge["a"]', 'linode_instance.edge']);
  });

  it('moves one instance, every copy of it', () => {
    const r = moveInstances(sample(), addr('linode_instance.lb["a"]'), addr('linode_instance.lb["c"]'));
    expect(r.state!.resources.map((x) => `${x.address}#${x.generation} ${x.index}`)).to.deep.equal([
      'dns_check.lb#0 null',
      'linode_instance.lb["b"]#1 b',
      'linode_instance.lb["c"]#1 c',
      'linode_instance.lb["c"]#2 c',
    ]);
  });

  it('refuses a destination that exists, a source that matches nothing, and a block moved to an instance', () => {
    const exists = moveInstances(sample(), addr('linode_instance.lb["a"]'), addr('linode_instance.lb["b"]'));
    expect(exists.state).to.equal(null);
    expect(printDiagnostics(exists.diagnostics)).to.equal(
      'Error: Cannot move linode_instance.lb["a"] to linode_instance.lb["b"]: the destination exists\nThe state already holds linode_instance.lb["b"]. Remove it first (infra state rm linode_instance.lb["b"]) if it should be forgotten.',
    );
    const none = moveInstances(sample(), addr('linode_instance.lbb'), addr('linode_instance.edge'));
    expect(printDiagnostics(none.diagnostics)).to.equal('Error: No instance linode_instance.lbb in the state\nDid you mean "linode_instance.lb"?');
    const shape = moveInstances(sample(), addr('linode_instance.lb'), addr('linode_instance.edge["a"]'));
    expect(printDiagnostics(shape.diagnostics)).to.equal(
      'Error: Cannot move linode_instance.lb to linode_instance.edge["a"]\nMove a whole resource to a resource address (TYPE.NAME), or one instance to an instance address (TYPE.NAME[KEY]).',
    );
  });

  it('forgets every copy it selects, and nothing else', () => {
    const r = forgetInstances(sample(), addr('linode_instance.lb["a"]'));
    expect(r.changed).to.deep.equal(['linode_instance.lb["a"]', 'linode_instance.lb["a"]']);
    expect(r.state!.resources.map((x) => x.address)).to.deep.equal(['dns_check.lb', 'linode_instance.lb["b"]']);
    const none = forgetInstances(sample(), addr('dns_check.lbx'));
    expect(printDiagnostics(none.diagnostics)).to.equal('Error: No instance dns_check.lbx in the state\nDid you mean "dns_check.lb"?');
  });
});
