/**
 * Failed API calls as diagnostics. The detail shows Linode's own `errors[].reason`, with the
 * `field` it concerns, because that is what tells the user what to fix
 * ("region: Region is required."). Built only from the failure's status, code and error list.
 */
import { error, type Diagnostic } from '../../diagnostics.js';
import { describeFailure, type ApiFailure } from './retry.js';

/** A failed call, as retry.ts ends it. */
export interface FailedCall {
  readonly failure: ApiFailure;
  /** Why retrying stopped ("gave up after 9 attempts"), or null when the failure was final. */
  readonly stopped: string | null;
}

/** An error diagnostic for `call`, under `summary` ("Could not create Linode "ns1-g2""). */
export function failureDiagnostic(summary: string, call: FailedCall, more?: string): Diagnostic {
  return error(summary, [failureDetail(call), more].filter((x) => x).join('\n'));
}

/** The lines explaining a failed call. */
export function failureDetail(call: FailedCall): string {
  const { failure } = call;
  const lines: string[] = [];
  switch (failure.kind) {
    case 'http':
      lines.push(`The Linode API answered ${describeFailure(failure)}${failure.errors.length ? ':' : '.'}`);
      for (const e of failure.errors) lines.push(e.field ? `  - ${e.field}: ${e.reason}` : `  - ${e.reason}`);
      if (failure.status === 401) {
        lines.push('Check the token (token in the provider "linode" block, or LINODE_TOKEN).');
      }
      if (failure.maintenance) {
        lines.push('The answer carried X-Maintenance-Mode: Linode\'s API is down for maintenance. Nothing was retried; apply again once it is over (https://status.linode.com).');
      }
      break;
    case 'invalid':
      lines.push(`The Linode API's answer could not be used: ${failure.endpoint} answered with ${failure.problem}.`);
      break;
    case 'rejected':
      lines.push('The Linode client refused the request before sending it:');
      for (const e of failure.errors) lines.push(e.field ? `  - ${e.field}: ${e.reason}` : `  - ${e.reason}`);
      break;
    case 'network':
      lines.push(`No answer from the Linode API: ${describeFailure(failure)}.`);
      break;
    case 'aborted':
      lines.push('Interrupted.');
      break;
  }
  if (call.stopped && failure.kind !== 'aborted') lines.push(`Stopped retrying: ${call.stopped}.`);
  return lines.join('\n');
}

/**
 * True when the API refused a request for want of a permission (403). Every create sends tags
 * (the provider's own lineage tags), and Linode lets only unrestricted users add tags, so for a
 * create this is almost always the tags.
 */
export function isForbidden(failure: ApiFailure): boolean {
  return failure.kind === 'http' && failure.status === 403;
}

/** What to do about a create refused with 403. */
export const FORBIDDEN_CREATE_HINT =
  'The token\'s user may not do this. Every instance gets this tool\'s tags (infra:..., infra-addr1:..., infra-gen:...), ' +
  'and Linode lets only unrestricted users add tags: use a token of an unrestricted user, or have an account administrator ' +
  'make this user unrestricted (a restricted user also needs the "add_linodes" grant, "Can add Linodes to this account"). ' +
  'Nothing was created.';

/** True when the API refused a create because the label is taken. */
export function isLabelTaken(failure: ApiFailure): boolean {
  return (
    failure.kind === 'http' &&
    failure.status === 400 &&
    failure.errors.some((e) => e.field === 'label' && /unique/i.test(e.reason))
  );
}
