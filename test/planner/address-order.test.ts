import { expect } from 'chai';
import { compareTerraformOrder } from '../../src/addrs/order.js';

describe('compareTerraformOrder (terraform state list order)', () => {
  it('sorts the root module first, shallower modules before deeper, data sources before resources, count indexes by number', () => {
    const addresses = [
      'module.m["b"].test_instance.x',
      'module.m["a"].module.inner[10].test_instance.y',
      'test_instance.x[10]',
      'module.m["a"].module.inner[2].test_instance.y',
      'test_instance.x[2]',
      'module.m["a"].data.local_file.zone',
      'local_host.a',
      'data.local_file.zone["k.1"]',
      'module.m["a"].test_instance.x',
      'test_instance.x["s"]',
      'data.local_file.zone',
      'module.m[0].test_instance.x',
    ];
    expect([...addresses].sort(compareTerraformOrder)).to.deep.equal([
      'data.local_file.zone',
      'data.local_file.zone["k.1"]',
      'local_host.a',
      'test_instance.x[2]',
      'test_instance.x[10]',
      'test_instance.x["s"]',
      'module.m[0].test_instance.x',
      'module.m["a"].data.local_file.zone',
      'module.m["a"].test_instance.x',
      'module.m["b"].test_instance.x',
      'module.m["a"].module.inner[2].test_instance.y',
      'module.m["a"].module.inner[10].test_instance.y',
    ]);
  });
});
