/**
 * Colours of the text renderings. A chalk instance with an explicit level, so output depends on
 * the caller's choice (`shouldUseColor`) and never on the terminal the tests run in.
 */
import { Chalk } from 'chalk';
import type { ChangeSymbol } from './symbols.js';

/** Named styles; with colour off each returns its input unchanged. */
export interface Paint {
  readonly added: (s: string) => string;
  readonly removed: (s: string) => string;
  readonly changed: (s: string) => string;
  /** Step kinds in the deploy sequence. */
  readonly kind: (s: string) => string;
  readonly green: (s: string) => string;
  readonly blue: (s: string) => string;
  readonly bold: (s: string) => string;
}

export function makePaint(color: boolean): Paint {
  const chalk = new Chalk({ level: color ? 1 : 0 });
  return {
    added: (s) => chalk.green(s),
    removed: (s) => chalk.red(s),
    changed: (s) => chalk.yellow(s),
    kind: (s) => chalk.cyan(s),
    green: (s) => chalk.green(s),
    blue: (s) => chalk.blue(s),
    bold: (s) => chalk.bold(s),
  };
}

/** A glyph in its colours; replacement glyphs colour each half. */
export function paintSymbol(paint: Paint, symbol: ChangeSymbol | '~' | '<='): string {
  switch (symbol) {
    case '<=':
      return paint.kind('<=');
    case '+':
      return paint.added('+');
    case '-':
      return paint.removed('-');
    case '~':
      return paint.changed('~');
    case '-/+':
      return `${paint.removed('-')}/${paint.added('+')}`;
    case '+/-':
      return `${paint.added('+')}/${paint.removed('-')}`;
    default:
      return symbol;
  }
}
