/**
 * Instances this state created but does not hold: Linode created them, then the run stopped
 * before the state was written. They carry the state's tag, so one filtered listing finds them,
 * and their address and generation tags say which resource copy they were made for, so
 * `infra state orphans` can import them or delete them.
 *
 * The tag filter is never trusted alone: an API (or a proxy) that ignores `X-Filter` answers with
 * every instance of the account. Every instance listed is checked for the state's tag here, and
 * `deleteOrphan` reads the instance again and checks the tag once more right before deleting, so
 * nothing without this state's tag is ever deleted.
 */
import type { Linode } from '@linode/api-v4';
import { error, type Diagnostic } from '../../diagnostics.js';
import type { Json } from '../../evaluate/value.js';
import type { OperationContext, Orphan, OrphanFinder } from '../contract.js';
import { failureDiagnostic } from './errors.js';
import { hasTag, importedState, linodeInstance, publicIpv4 } from './instance.js';
import { decodeTags, isManagedTag, stateTag } from './naming.js';
import { openSession } from './session.js';

/** An instance carrying the state's tag that the state does not hold. */
export interface LinodeOrphan {
  readonly id: number;
  /** The label on Linode (`ns1-g2`). */
  readonly label: string;
  /** Every tag: the user's first, then the tool's. */
  readonly tags: readonly string[];
  readonly ipv4: string | null;
  readonly region: string;
  readonly status: string;
  readonly created: string;
  /** The resource address and generation its tags name, or null when they name none. */
  readonly address: string | null;
  readonly generation: number | null;
}

/** The orphans, or the diagnostics of a failed listing. */
export interface OrphansResult {
  readonly orphans: readonly LinodeOrphan[];
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Lists the instances tagged with `ctx.lineage`'s state tag whose ids are not in `knownIds`
 * (the ids the state holds), sorted by id. Instances being deleted are left out. Always asks the
 * API (no reuse of a refresh listing): the answer decides what gets deleted.
 */
export async function listOrphans(ctx: OperationContext, knownIds: readonly number[]): Promise<OrphansResult> {
  const found = await orphanInstances(ctx, knownIds);
  return { orphans: found.instances.map(describe), diagnostics: found.diagnostics };
}

/** The provider's `orphans` capability (the contract's `OrphanFinder`), for `infra state orphans`. */
export const linodeOrphans: OrphanFinder = {
  async listOrphans(known, ctx) {
    const ids = known
      .filter((k) => k.type === 'linode_instance' && typeof k.attributes.id === 'number')
      .map((k) => k.attributes.id as number);
    const found = await orphanInstances(ctx, ids);
    const orphans = found.instances.map((i): Orphan => {
      const o = describe(i);
      return {
        type: 'linode_instance',
        id: String(i.id),
        address: o.address,
        generation: o.generation,
        description: `Linode ${i.id} "${i.label}" in ${i.region}${o.ipv4 ? `, ${o.ipv4}` : ''}, ${i.status}, created ${i.created}`,
        attributes: importedState(i, o.generation ?? 0),
      };
    });
    return { orphans, diagnostics: found.diagnostics };
  },

  async deleteOrphan(orphan, ctx) {
    const id = Number(orphan.id);
    if (orphan.type !== 'linode_instance' || !Number.isInteger(id)) {
      return { diagnostics: [error(`Not a Linode instance: ${orphan.type} ${orphan.id}`, 'The Linode provider deletes only the orphans it listed.')] };
    }
    // Read it again: what is deleted must carry this state's tag now, whatever a listing said.
    const opened = openSession(ctx);
    if (!opened.ok) return { diagnostics: opened.diagnostics };
    const { api, redactor } = opened.session;
    const got = await api.getInstance(id);
    if (!got.ok) return { diagnostics: redactor.diagnostics([failureDiagnostic(`Could not read Linode ${id} before deleting it`, got, 'Nothing was deleted.')]) };
    if (got.value === null) return { diagnostics: [] };
    const tag = stateTag(ctx.lineage);
    if (!hasTag(got.value, tag)) {
      return {
        diagnostics: [
          error(
            `Not deleting Linode ${id} "${got.value.label}": it does not carry this state's tag "${tag}"`,
            'It is not an instance this state made (the listing that named it was wrong, or its tags were changed since). Nothing was deleted.',
          ),
        ],
      };
    }
    const label: Json = typeof orphan.attributes.linode_label === 'string' ? orphan.attributes.linode_label : null;
    // With its address, the delete also forgets the host key the state's known-hosts file has for it.
    const ipv4: Json = publicIpv4(got.value.ipv4);
    return linodeInstance.delete(
      { address: orphan.address ?? `orphan Linode ${id}`, generation: orphan.generation ?? 0, prior: { id, linode_label: label, ipv4 } },
      ctx,
    );
  },
};

async function orphanInstances(ctx: OperationContext, knownIds: readonly number[]): Promise<{ instances: Linode[]; diagnostics: Diagnostic[] }> {
  const opened = openSession(ctx);
  if (!opened.ok) return { instances: [], diagnostics: opened.diagnostics };
  const { api, redactor } = opened.session;
  const listed = await api.listInstances({ tags: stateTag(ctx.lineage) }, 'list the instances of this state');
  if (!listed.ok) {
    return { instances: [], diagnostics: redactor.diagnostics([failureDiagnostic('Could not list the instances of this state', listed)]) };
  }
  const known = new Set(knownIds);
  const tag = stateTag(ctx.lineage);
  const instances = listed.value.filter((i) => hasTag(i, tag) && !known.has(i.id) && i.status !== 'deleting').sort((a, b) => a.id - b.id);
  return { instances, diagnostics: [] };
}

function describe(i: Linode): LinodeOrphan {
  const { address, generation } = decodeTags(i.tags);
  return {
    id: i.id,
    label: i.label,
    tags: [...i.tags].sort((a, b) => Number(isManagedTag(a)) - Number(isManagedTag(b))),
    ipv4: publicIpv4(i.ipv4),
    region: i.region,
    status: i.status,
    created: i.created,
    address,
    generation,
  };
}
