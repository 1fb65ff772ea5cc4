import { expect } from 'chai';
import { useRecordingProject } from '../support/recording-project.js';
import { BLUE_GREEN } from '../support/configs.js';

describe('cli: state mv and state rm', function () {
  this.timeout(60_000);
  const project = useRecordingProject({ 'main.infra': BLUE_GREEN }, { applied: true });
  const cli = project.cli;

  it('state mv moves every key of a resource and touches no provider', async () => {
    const calls = project.provider.calls.length;
    const r = await cli('state', 'mv', 'test_route.ns', 'test_route.edge');
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.equal('Moved test_route.ns to test_route.edge (2 records).\n');
    expect(r.code).to.equal(0);
    expect(project.provider.calls.length).to.equal(calls);
    const list = (await cli('state', 'list')).stdout.split('\n').filter((l) => l.startsWith('test_route.'));
    expect(list).to.deep.equal(['test_route.edge["a"]', 'test_route.edge["b"]']);
  });

  it('state mv refuses an existing destination and a source that matches nothing, with did-you-mean', async () => {
    const exists = await cli('state', 'mv', 'test_check.ns["a"]', 'test_check.ns["b"]');
    expect(exists.code).to.equal(1);
    expect(exists.stderr).to.include('Error: Cannot move test_check.ns["a"] to test_check.ns["b"]: the destination exists');
    const none = await cli('state', 'mv', 'test_route.nss', 'test_route.edge');
    expect(none.code).to.equal(1);
    expect(none.stderr).to.include('Error: No instance test_route.nss in the state');
    expect(none.stderr).to.include('Did you mean "test_route.ns"?');
    const bad = await cli('state', 'rm', 'test_route');
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.include('Error: Invalid resource address "test_route"');
  });

  it('state rm forgets every copy of an instance without destroying it', async () => {
    const calls = project.provider.calls.length;
    const r = await cli('state', 'rm', 'test_instance.ns["a"]');
    expect(r.stdout).to.equal('Removed test_instance.ns["a"] from the state (1 record); the objects still exist and are no longer managed.\n');
    expect(r.code).to.equal(0);
    expect(project.provider.calls.length).to.equal(calls);
    const list = (await cli('state', 'list')).stdout;
    expect(list).to.not.include('test_instance.ns["a"]');
    expect(list).to.include('test_instance.ns["b"]');
  });
});
