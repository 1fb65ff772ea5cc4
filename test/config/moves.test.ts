import { expect } from 'chai';
import { loadConfig } from '../../src/config/load.js';
import { removeTemp, tempConfig } from '../evaluate/support.js';

function load(source: string) {
  const dir = tempConfig({ 'main.infra': source });
  try {
    return loadConfig(dir, { cwd: dir });
  } finally {
    removeTemp(dir);
  }
}

describe('config: moved and removed blocks', () => {
  it('decodes moved and removed blocks, addresses written as references', () => {
    const r = load(`
moved {
  from = linode_instance.lb
  to   = linode_instance.edge
}
moved {
  from = local_host.ns["a"]
  to   = local_host.ns["b"]
}
removed {
  from = local_host.old[0]
}
`);
    expect(r.diagnostics).to.deep.equal([]);
    expect(r.config!.moves!.map((m) => [m.from, m.to])).to.deep.equal([
      ['linode_instance.lb', 'linode_instance.edge'],
      ['local_host.ns["a"]', 'local_host.ns["b"]'],
      ['local_host.old[0]', null],
    ]);
  });

  it('reports unknown and missing arguments with did-you-mean, and addresses that are not references', () => {
    const r = load(`
moved {
  from = linode_instance.lb
  too  = linode_instance.edge
}
removed {
  from = "linode_instance.lb"
  to   = linode_instance.edge
}
`);
    expect(r.diagnostics.map((d) => `${d.range?.start.line}: ${d.summary} / ${d.detail}`)).to.deep.equal([
      '2: Missing argument "to" in moved block / Write it as: moved { from = TYPE.NAME, to = TYPE.NEW_NAME }',
      '4: Unsupported argument "too" in moved block / Did you mean "to"?',
      '7: Invalid address in "from" / Write a resource or instance address, without quotes: TYPE.NAME, TYPE.NAME[0] or TYPE.NAME["key"].',
      '8: Unsupported argument "to" in removed block / A removed block accepts from.',
    ]);
  });
});
