/**
 * Reasons in words: the one place a `Reason` code becomes text, for every view of a plan
 * (terminal, Markdown, JSON).
 */
import { formatUtcClock } from '../duration.js';
import type { Reason } from '../planner/plan.js';

/** The words for one reason: "targeted", "part of the blue-green deploy of local_host.ns". */
export function reasonText(r: Reason): string {
  switch (r.code) {
    case 'targeted':
      return 'targeted';
    case 'target-depends-on':
      return `${r.target} depends on it`;
    case 'depends-on-destroyed':
      return `depends on ${r.dependency}`;
    case 'in-deploy-unit':
      return `part of the blue-green deploy of ${r.unit}`;
    case 'recorded-status':
      return `the recorded object is ${r.status === 'creating' ? 'incomplete' : r.status}`;
    case 'provisioning-changed':
      return `its provisioning changed: ${r.provisions.join(', ')}`;
    case 'replace-requested':
      return 'replacement requested (-replace)';
    case 'replace-triggered-by':
      return `due to changes in replace_triggered_by: ${r.triggers.join(', ')}`;
    case 'leftover':
      return `left over from an interrupted apply (generation ${r.generation}, ${r.status})`;
    case 'not-in-configuration':
      return 'no longer in the configuration';
    case 'kept-window-ended':
      return `kept blue, window ended ${formatUtcClock(r.until)}`;
    case 'kept-superseded':
      return `kept blue, window until ${formatUtcClock(r.until)}; ${r.unit} deploys again and keeps only its newest blue`;
  }
}

/** The words for each of `reasons`, in order. */
export function reasonTexts(reasons: readonly Reason[]): string[] {
  return reasons.map(reasonText);
}
