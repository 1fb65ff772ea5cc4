/**
 * The apply-time check that what is about to be applied is what the reviewed plan showed.
 */
import { Sensitive, containsUnknown, isUnknown, type ObjectValue, type Value } from '../evaluate/value.js';
import { sameStoredValue } from '../state/sensitive.js';

/** True when a planned value contradicts an actual one at known positions (unknowns match anything). */
export function contradicts(planned: Value, actual: Value): boolean {
  if (isUnknown(planned)) return false;
  if (planned instanceof Sensitive || actual instanceof Sensitive) {
    const p = planned instanceof Sensitive ? planned.value : planned;
    const a = actual instanceof Sensitive ? actual.value : actual;
    // A secret the plan knew only by its stored form is what it was when it hashes alike.
    return containsUnknown(p) ? contradicts(p, a) : !sameStoredValue(p, a);
  }
  if (Array.isArray(planned)) {
    if (!Array.isArray(actual) || actual.length !== planned.length) return true;
    return planned.some((p, i) => contradicts(p, actual[i]));
  }
  if (typeof planned === 'object' && planned !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return true;
    const po = planned as ObjectValue;
    const ao = actual as ObjectValue;
    return Object.keys(po).some((k) => contradicts(po[k], ao[k] ?? null));
  }
  return !sameStoredValue(planned, actual);
}
