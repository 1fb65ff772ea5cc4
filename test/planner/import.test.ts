import { expect } from 'chai';
import { importedRecord } from '../../src/state/import.js';
import { UNREAD_SECRET_HASH } from '../../src/state/sensitive.js';
import type { StateInstance } from '../../src/state/types.js';
import { appliedState, planOf, webConfig } from './fixture.js';

/** test_instance.web as `infra import` records it: what the provider read, the secret unread. */
function imported(blueGreen: boolean, attributes: Record<string, string>): StateInstance {
  return importedRecord({
    address: 'test_instance.web',
    type: 'test_instance',
    provider: 'test',
    role: 'instance',
    blueGreen,
    attributes: { name: 'web', id: 'computed:id', ipv4: 'computed:ipv4', ...attributes },
    sensitive: ['secret'],
    unreadable: ['secret'],
    now: '2026-01-01T00:00:00.000Z',
  });
}

describe('planner: imported objects', () => {
  it('a blue-green resource is imported as its live blue copy (generation 1), ready', () => {
    const r = imported(true, { image: 'debian12' });
    expect([r.generation, r.color, r.live, r.status]).to.deep.equal([1, 'blue', true, 'ready']);
    expect(r.sensitive_attributes).to.deep.equal({ secret: UNREAD_SECRET_HASH });
    expect(imported(false, { image: 'debian12' })).to.deep.include({ generation: 0, color: null, live: true });
  });

  it('the next plan shows what would change; an unread secret set in the configuration forces no replacement', () => {
    const others = appliedState({ config: webConfig() }).filter((r) => r.address !== 'test_instance.web');
    const withSecret = webConfig().replace('image = var.image', 'image  = var.image\n  secret = "s3cret-value"');
    const same = planOf({ config: withSecret, state: [imported(true, { image: 'debian12' }), ...others] });
    expect(same.changes.filter((c) => c.actions.join() !== 'no-op').map((c) => c.address)).to.deep.equal([]);
    const newer = planOf({ config: withSecret, state: [imported(true, { image: 'debian11' }), ...others] });
    const web = newer.changes.find((c) => c.address === 'test_instance.web')!;
    expect(web.actions).to.deep.equal(['create', 'delete']);
    expect(web.replacePaths).to.deep.equal(['image']);
    expect(web.priorGeneration).to.equal(1);
  });
});
