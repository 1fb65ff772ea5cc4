/**
 * Version constraints as Terraform writes them (`required_version = ">= 0.1, < 2"`, the syntax of
 * hashicorp/go-version): constraints separated by commas, all of which must hold; each is an
 * optional operator (`=`, `!=`, `>`, `>=`, `<`, `<=`, `~>`; none means `=`) and a version of one
 * to three numbers with an optional `-prerelease` and `+metadata`. Missing numbers are zero.
 * `~> 1.2` allows 1.2 and later 1.x; `~> 1.2.3` allows 1.2.3 and later 1.2.x.
 */

/** A parsed version: its numbers (always three), prerelease (empty when none), and how many numbers were written. */
export interface Version {
  readonly numbers: readonly [number, number, number];
  readonly prerelease: string;
  readonly written: number;
}

type Operator = '=' | '!=' | '>' | '>=' | '<' | '<=' | '~>';

interface Constraint {
  readonly operator: Operator;
  readonly version: Version;
}

const VERSION = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;
const CONSTRAINT = /^\s*(=|!=|>=|<=|>|<|~>)?\s*(\S+)\s*$/;

/** Parses a version; undefined when it is not one. */
export function parseVersion(text: string): Version | undefined {
  const m = VERSION.exec(text.trim());
  if (!m) return undefined;
  const written = m[3] !== undefined ? 3 : m[2] !== undefined ? 2 : 1;
  return { numbers: [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)], prerelease: m[4] ?? '', written };
}

/** Parses a constraint string; undefined when its syntax is wrong. */
export function parseConstraints(text: string): readonly Constraint[] | undefined {
  const parts = text.split(',');
  const out: Constraint[] = [];
  for (const part of parts) {
    const m = CONSTRAINT.exec(part);
    if (!m) return undefined;
    const version = parseVersion(m[2]);
    if (!version) return undefined;
    out.push({ operator: (m[1] ?? '=') as Operator, version });
  }
  return out;
}

/** <0, 0, >0 as `a` is before, equal to or after `b` (a prerelease comes before its release). */
export function compareVersions(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a.numbers[i] !== b.numbers[i]) return a.numbers[i] - b.numbers[i];
  if (a.prerelease === b.prerelease) return 0;
  if (a.prerelease === '') return 1;
  if (b.prerelease === '') return -1;
  const x = a.prerelease.split('.');
  const y = b.prerelease.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] === undefined) return -1;
    if (y[i] === undefined) return 1;
    const nx = /^\d+$/.test(x[i]) ? Number(x[i]) : undefined;
    const ny = /^\d+$/.test(y[i]) ? Number(y[i]) : undefined;
    if (nx !== undefined && ny !== undefined) {
      if (nx !== ny) return nx - ny;
    } else if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

function holds(v: Version, c: Constraint): boolean {
  // As go-version: a prerelease matches only a constraint on a prerelease of the same release.
  if (v.prerelease !== '' && (c.version.prerelease === '' || v.numbers.some((n, i) => n !== c.version.numbers[i]))) return false;
  const cmp = compareVersions(v, c.version);
  switch (c.operator) {
    case '=':
      return cmp === 0;
    case '!=':
      return cmp !== 0;
    case '>':
      return cmp > 0;
    case '>=':
      return cmp >= 0;
    case '<':
      return cmp < 0;
    case '<=':
      return cmp <= 0;
    case '~>': {
      if (cmp < 0) return false;
      // Every number but the last one written stays as written.
      const fixed = Math.max(c.version.written - 1, 1);
      for (let i = 0; i < fixed; i++) if (v.numbers[i] !== c.version.numbers[i]) return false;
      return true;
    }
  }
}

/** Whether `version` satisfies every constraint. */
export function satisfies(version: Version, constraints: readonly Constraint[]): boolean {
  return constraints.every((c) => holds(version, c));
}
