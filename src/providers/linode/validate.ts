/**
 * Checks that an API answer has the shape the provider relies on. The client library types its
 * answers, but a proxy, a cut connection or a broken deploy of the API can hand back anything
 * with status 200: a string (axios keeps a body that is not JSON as text), half an object, an
 * HTML page. Each check returns null for a usable answer, else one line saying what is wrong,
 * for a message that names the endpoint ("GET /linode/instances answered ... : not JSON").
 */

/** What is wrong with an answer that should be one instance, or null. */
export function instanceProblem(answer: unknown): string | null {
  if (typeof answer === 'string') return notJson(answer);
  if (!isRecord(answer)) return `expected an instance object, got ${kindOf(answer)}`;
  if (typeof answer.id !== 'number' || !Number.isInteger(answer.id)) return 'the instance has no numeric "id"';
  for (const field of ['label', 'status', 'region'] as const) {
    if (typeof answer[field] !== 'string') return `the instance has no "${field}" string`;
  }
  for (const field of ['tags', 'ipv4'] as const) {
    const list = answer[field];
    if (!Array.isArray(list) || list.some((x) => typeof x !== 'string')) return `the instance's "${field}" is not a list of strings`;
  }
  return null;
}

/** What is wrong with an answer that should be a page of instances, or null. */
export function pageProblem(answer: unknown): string | null {
  if (typeof answer === 'string') return notJson(answer);
  if (!isRecord(answer)) return `expected a page of instances, got ${kindOf(answer)}`;
  if (!Array.isArray(answer.data)) return 'the page has no "data" list';
  if (typeof answer.pages !== 'number' || !Number.isInteger(answer.pages) || answer.pages < 1) return 'the page has no "pages" count';
  for (const item of answer.data as unknown[]) {
    const wrong = instanceProblem(item);
    if (wrong !== null) return `an instance in "data" is not valid: ${wrong}`;
  }
  return null;
}

/** What is wrong with an answer that should be a page of a list endpoint (objects in `data`), or null. */
export function listPageProblem(answer: unknown): string | null {
  if (typeof answer === 'string') return notJson(answer);
  if (!isRecord(answer)) return `expected a page, got ${kindOf(answer)}`;
  if (!Array.isArray(answer.data)) return 'the page has no "data" list';
  if (typeof answer.pages !== 'number' || !Number.isInteger(answer.pages) || answer.pages < 1) return 'the page has no "pages" count';
  for (const item of answer.data as unknown[]) if (!isRecord(item)) return `an entry of "data" is ${kindOf(item)}, not an object`;
  return null;
}

/** What is wrong with an answer that should be one `IPAddress`, or null. */
export function ipAddressProblem(answer: unknown): string | null {
  if (typeof answer === 'string') return notJson(answer);
  if (!isRecord(answer)) return `expected an IP address object, got ${kindOf(answer)}`;
  if (typeof answer.address !== 'string') return 'the IP address has no "address" string';
  if (typeof answer.region !== 'string') return 'the IP address has no "region" string';
  if (answer.linode_id !== null && typeof answer.linode_id !== 'number') return 'the IP address has no numeric "linode_id"';
  return null;
}

function notJson(text: string): string {
  return /^\s*</.test(text) ? 'an HTML page, not JSON' : text.trim() === '' ? 'an empty body' : 'a body that is not JSON (or was cut short)';
}

function kindOf(x: unknown): string {
  return x === null ? 'null' : Array.isArray(x) ? 'a list' : typeof x;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
