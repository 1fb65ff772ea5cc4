/**
 * The `moved` / `removed` pass: runs before any instance is evaluated, over the configuration's
 * blocks and the recorded state.
 *
 * Today it only guards: a block whose source the state still holds stops the plan with an error
 * naming the `infra state mv` / `infra state rm` command that does the same, because a plan that
 * ignored it would destroy the old instances (the renamed load balancers) and create new ones.
 * A block already carried out (its source matches nothing) is a no-op, so the blocks may stay in
 * the configuration after the state commands ran. Carrying moves out in the plan itself (shown,
 * then written by apply) is the next step; it belongs here.
 */
import { formatAddress, parseAddress } from '../addrs/address.js';
import { error } from '../diagnostics.js';
import { moveInstances, selectedRecords } from '../state/move.js';
import type { PlanContext } from './context.js';

/** Adds an error to `ctx` for every `moved`/`removed` block the state still has to follow. */
export function checkMoves(ctx: PlanContext): void {
  const { config, state } = ctx.input;
  for (const m of config.moves ?? []) {
    const from = parseAddress(m.from).value;
    const to = m.to === null ? null : parseAddress(m.to).value;
    if (!from || (m.to !== null && !to)) continue; // the loader only produces addresses that parse
    if (selectedRecords(state, from).length === 0) continue;
    if (to) {
      const r = moveInstances(state, from, to);
      if (!r.state) {
        ctx.diagnostics.push(...r.diagnostics.map((d) => ({ ...d, range: m.range })));
        continue;
      }
    }
    const command = to ? `infra state mv '${formatAddress(from)}' '${formatAddress(to)}'` : `infra state rm '${formatAddress(from)}'`;
    ctx.diagnostics.push(
      error(
        to ? `${m.from} has moved to ${m.to}, but the state still holds ${m.from}` : `${m.from} is removed, but the state still holds it`,
        `This version does not yet carry out ${to ? 'moved' : 'removed'} blocks in the plan; planning without it would destroy ${m.from}${to ? ` and create ${m.to}` : ''}. Run\n  ${command}\nfirst (it touches nothing but the state); the block may stay and is then a no-op.`,
        m.range,
      ),
    );
  }
}
