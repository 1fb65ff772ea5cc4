/**
 * Keeps secrets (the API token, root passwords) out of everything the provider says. Messages are
 * built from status codes and Linode's `errors[].reason`, never from raw client errors (an axios
 * error carries the Authorization header); this is the second line of defence for text that
 * comes from outside, such as an error reason echoed by a proxy.
 */
import type { Diagnostic } from '../../diagnostics.js';

const REDACTED = '(redacted)';

/**
 * A root password as `generateRootPass` makes them: 43 base64url characters standing alone. An
 * API token (64 hex digits) or an id never has this shape.
 */
const GENERATED_PASSWORD = /(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]{0,42}[A-Z])(?=[A-Za-z0-9_-]{0,42}[a-z])(?=[A-Za-z0-9_-]{0,42}\d)[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g;
/** `root_pass: <anything>` or `"root_pass": "<anything>"` as an echoed request shows it. */
const ROOT_PASS_VALUE = /("?root_pass"?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|\S+)/g;

/**
 * Replaces known secrets in text. Secrets shorter than 4 characters are ignored (too common).
 * With `unknownPasswords`, for operations that handle an instance whose root password they were
 * not given, it also replaces what looks like a generated root password and any value after
 * `root_pass:`.
 */
export class Redactor {
  private readonly secrets: string[];

  constructor(
    secrets: ReadonlyArray<string | null | undefined>,
    private readonly unknownPasswords = false,
  ) {
    this.secrets = secrets
      .filter((s): s is string => typeof s === 'string' && s.length >= 4)
      // Longest first, so a secret containing another is replaced whole.
      .sort((a, b) => b.length - a.length);
  }

  /** A copy that also redacts `more`. */
  with(...more: ReadonlyArray<string | null | undefined>): Redactor {
    return new Redactor([...this.secrets, ...more], this.unknownPasswords);
  }

  text(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join(REDACTED);
    if (this.unknownPasswords) {
      out = out.replace(ROOT_PASS_VALUE, (_, key: string) => `${key}${REDACTED}`).replace(GENERATED_PASSWORD, REDACTED);
    }
    return out;
  }

  diagnostic(d: Diagnostic): Diagnostic {
    return {
      ...d,
      summary: this.text(d.summary),
      ...(d.detail !== undefined ? { detail: this.text(d.detail) } : {}),
    };
  }

  diagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
    return ds.map((d) => this.diagnostic(d));
  }

  log(log: (line: string) => void): (line: string) => void {
    return (line) => log(this.text(line));
  }
}
