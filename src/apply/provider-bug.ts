/**
 * A provider that throws has a bug (the contract says operations return diagnostics for every
 * outside failure). Apply and refresh turn the exception into one clear error naming the
 * provider, the operation and the instance, without a stack trace, so the command still ends
 * the ordinary way: state saved, lock released, exit 1.
 */
import { type Diagnostic, error } from '../diagnostics.js';

/**
 * The error for `thrown`, caught from provider `provider` while `doing` (`"reading"`,
 * `"creating"`...) `address`; `aftermath` says what state is left in.
 */
export function providerBug(provider: string, doing: string, address: string, thrown: unknown, aftermath: string): Diagnostic {
  const what = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
  return error(`Internal error in provider "${provider}" while ${doing} ${address}`, `${what}\nThis is a bug in the provider; please report it. ${aftermath}`);
}
