/**
 * The lexical grammar of the .infra language: the token types the parser works with, and a
 * chevrotain `Lexer` with three modes that defines what each token is. That lexer is the
 * specification; the scanner that reads files (`lexer.ts`) is tested to read exactly what it reads.
 *
 * - `main`: expressions and bodies. `{` pushes `main` and `}` pops it, so the `}` that closes a
 *   `${` interpolation or a `%{` directive returns to the string or heredoc that opened it.
 * - `template`: the inside of a quoted string. A raw newline ends the mode too (an unterminated
 *   string must not swallow the rest of the file); the structure pass reports it.
 * - `heredoc`: the lines of a heredoc, up to a line holding only its end marker.
 *
 * Comments go to the `comments` group: the parser never sees them, the formatter does.
 */
import { createToken, Lexer, type CustomPatternMatcherReturn, type IToken, type TokenType } from 'chevrotain';

/** Name of the lexer group holding comment tokens. */
export const COMMENTS_GROUP = 'comments';

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\f\v\uFEFF]+/, group: Lexer.SKIPPED });
export const Newline = createToken({ name: 'Newline', pattern: /\n/, line_breaks: true });
export const LineComment = createToken({
  name: 'LineComment',
  pattern: /(?:#|\/\/)[^\n]*/,
  group: COMMENTS_GROUP,
});
export const BlockComment = createToken({
  name: 'BlockComment',
  pattern: /\/\*[\s\S]*?\*\//,
  group: COMMENTS_GROUP,
  line_breaks: true,
});
/** A `/*` with no `*\/` after it: swallows the rest of the file; reported by the structure pass. */
export const UnterminatedBlockComment = createToken({
  name: 'UnterminatedBlockComment',
  pattern: /\/\*[\s\S]*/,
  group: COMMENTS_GROUP,
  line_breaks: true,
});

/** HCL's identifiers: Unicode ID_Start (or `_`), then ID_Continue or `-`. */
const IDENTIFIER = /[\p{ID_Start}_][\p{ID_Continue}-]*/uy;
export const Identifier = createToken({
  name: 'Identifier',
  // A custom matcher: chevrotain's pattern analysis does not read \p{...} classes.
  pattern: {
    exec: (text: string, offset: number) => {
      IDENTIFIER.lastIndex = offset;
      return IDENTIFIER.exec(text);
    },
  },
  line_breaks: false,
});
// `for`, `in` and `if` are keywords only where the grammar asks for them; elsewhere they are
// ordinary names (an attribute may be called `if`), hence the Identifier category.
export const For = createToken({ name: 'For', pattern: /for/, longer_alt: Identifier, categories: [Identifier] });
export const In = createToken({ name: 'In', pattern: /in/, longer_alt: Identifier, categories: [Identifier] });
export const If = createToken({ name: 'If', pattern: /if/, longer_alt: Identifier, categories: [Identifier] });
export const True = createToken({ name: 'True', pattern: /true/, longer_alt: Identifier });
export const False = createToken({ name: 'False', pattern: /false/, longer_alt: Identifier });
export const Null = createToken({ name: 'Null', pattern: /null/, longer_alt: Identifier });

export const NumberLit = createToken({ name: 'NumberLit', pattern: /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/ });

export const HeredocStart = createToken({
  name: 'HeredocStart',
  pattern: /<<-?[A-Za-z_][A-Za-z0-9_-]*[ \t]*\r?\n/,
  line_breaks: true,
  push_mode: 'heredoc',
});
/**
 * A whole quoted string without interpolation, escapes still encoded. Most strings are like
 * this; one token instead of three (and no template rule) is a good part of the parser's speed.
 */
export const SimpleString = createToken({
  name: 'SimpleString',
  pattern: /"(?:[^"\\\n$%]|\\[^\n]|\$\$\{|\$(?!\{)|%%\{|%(?!\{))*"/,
});
export const StringStart = createToken({ name: 'StringStart', pattern: /"/, push_mode: 'template' });

export const LCurly = createToken({ name: 'LCurly', pattern: /\{/, push_mode: 'main' });
/** `}`, or `~}` closing an interpolation or a directive and stripping the whitespace after it. */
export const RCurly = createToken({ name: 'RCurly', pattern: /~?\}/, pop_mode: true });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/ });
export const RBracket = createToken({ name: 'RBracket', pattern: /\]/ });
export const LParen = createToken({ name: 'LParen', pattern: /\(/ });
export const RParen = createToken({ name: 'RParen', pattern: /\)/ });
export const Comma = createToken({ name: 'Comma', pattern: /,/ });
export const Ellipsis = createToken({ name: 'Ellipsis', pattern: /\.\.\./ });
export const Dot = createToken({ name: 'Dot', pattern: /\./ });
export const FatArrow = createToken({ name: 'FatArrow', pattern: /=>/ });
export const Colon = createToken({ name: 'Colon', pattern: /:/ });
export const Question = createToken({ name: 'Question', pattern: /\?/ });

/** Category of every binary operator token; the AST builder resolves precedence. */
export const BinaryOperator = createToken({ name: 'BinaryOperator', pattern: Lexer.NA });
const op = (name: string, pattern: RegExp): TokenType =>
  createToken({ name, pattern, categories: [BinaryOperator] });
export const EqEq = op('EqEq', /==/);
export const NotEq = op('NotEq', /!=/);
export const LtEq = op('LtEq', /<=/);
export const GtEq = op('GtEq', />=/);
export const Lt = op('Lt', /</);
export const Gt = op('Gt', />/);
export const AndAnd = op('AndAnd', /&&/);
export const OrOr = op('OrOr', /\|\|/);
export const Plus = op('Plus', /\+/);
export const Minus = op('Minus', /-/);
export const Star = op('Star', /\*/);
export const Slash = op('Slash', /\//);
export const Percent = op('Percent', /%/);
export const Equals = createToken({ name: 'Equals', pattern: /=/ });
export const Bang = createToken({ name: 'Bang', pattern: /!/ });

// Inside strings and heredocs.
/** `${`, or `${~` stripping the whitespace before it. */
export const InterpStart = createToken({ name: 'InterpStart', pattern: /\$\{~?/, push_mode: 'main' });
/** `%{` (or `%{~`) opening a template directive: `%{ if c }`, `%{ for x in xs }`, `%{ endif }`... */
export const DirectiveStart = createToken({ name: 'DirectiveStart', pattern: /%\{~?/, push_mode: 'main' });
/** Literal text of a quoted string, escapes still encoded (the AST builder decodes them). */
export const TemplateText = createToken({
  name: 'TemplateText',
  pattern: /(?:[^"\\\n$%]|\\[^\n]?|\$\$\{|\$(?!\{)|%%\{|%(?!\{))+/,
});
export const StringEnd = createToken({ name: 'StringEnd', pattern: /"/, pop_mode: true });
/** A raw newline inside a quoted string: the string is unterminated. */
export const TemplateNewline = createToken({
  name: 'TemplateNewline',
  pattern: /\n/,
  line_breaks: true,
  pop_mode: true,
});
/** One heredoc line (or the part of it up to an interpolation), newline included. */
export const HeredocText = createToken({
  name: 'HeredocText',
  pattern: /(?:[^$%\n]|\$\$\{|\$(?!\{)|%%\{|%(?!\{))+\n?|\n/,
  line_breaks: true,
});

/**
 * The end marker of the innermost open heredoc. Which marker that is depends on the tokens seen
 * so far, so the pattern keeps a small stack per token array (one array per `tokenize` call).
 */
let markerState: { tokens: IToken[]; scanned: number; stack: string[] } | undefined;

function openHeredocMarker(tokens: IToken[]): string | undefined {
  if (markerState === undefined || markerState.tokens !== tokens || markerState.scanned > tokens.length) {
    markerState = { tokens, scanned: 0, stack: [] };
  }
  const state = markerState;
  for (; state.scanned < tokens.length; state.scanned++) {
    const t = tokens[state.scanned];
    if (t.tokenType === HeredocStart) state.stack.push(heredocMarker(t.image).marker);
    else if (t.tokenType === HeredocEnd) state.stack.pop();
  }
  return state.stack[state.stack.length - 1];
}

/** The marker and `<<-` flag of a heredoc start token's image (`<<-EOT\n`). */
export function heredocMarker(image: string): { marker: string; indented: boolean } {
  const indented = image.startsWith('<<-');
  const marker = image.slice(indented ? 3 : 2).replace(/[ \t]*\r?\n$/, '');
  return { marker, indented };
}

function matchHeredocEnd(text: string, offset: number, tokens: IToken[]): CustomPatternMatcherReturn | null {
  if (offset > 0 && text.charCodeAt(offset - 1) !== 10) return null;
  let i = offset;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  const marker = openHeredocMarker(tokens);
  if (marker === undefined || !text.startsWith(marker, i)) return null;
  const after = i + marker.length;
  if (after < text.length && text[after] !== '\n' && !(text[after] === '\r' && text[after + 1] === '\n')) {
    return null;
  }
  return [text.slice(offset, after)];
}

const identifierStartChars = [' ', '\t', '_'];
for (let c = 65; c <= 90; c++) identifierStartChars.push(String.fromCharCode(c), String.fromCharCode(c + 32));

export const HeredocEnd = createToken({
  name: 'HeredocEnd',
  pattern: { exec: matchHeredocEnd },
  start_chars_hint: identifierStartChars,
  line_breaks: false,
  pop_mode: true,
});

const mainMode: TokenType[] = [
  WhiteSpace,
  Newline,
  LineComment,
  BlockComment,
  UnterminatedBlockComment,
  HeredocStart,
  SimpleString,
  StringStart,
  NumberLit,
  For,
  In,
  If,
  True,
  False,
  Null,
  Identifier,
  LCurly,
  RCurly,
  LBracket,
  RBracket,
  LParen,
  RParen,
  Comma,
  Ellipsis,
  Dot,
  FatArrow,
  EqEq,
  NotEq,
  LtEq,
  GtEq,
  Equals,
  Lt,
  Gt,
  AndAnd,
  OrOr,
  Bang,
  Plus,
  Minus,
  Star,
  Slash,
  Percent,
  Colon,
  Question,
];

/** Every token type the parser may see, for the parser's constructor. */
export const allTokens: TokenType[] = [
  ...mainMode,
  BinaryOperator,
  InterpStart,
  DirectiveStart,
  TemplateText,
  StringEnd,
  TemplateNewline,
  HeredocEnd,
  HeredocText,
];

/** Lexer error messages are rebuilt by the structure pass; this marks the one it ignores. */
export const UNABLE_TO_POP = 'unable-to-pop';

/**
 * The reference lexer (see the module comment). `validate` runs chevrotain's checks of the token
 * definitions.
 */
export function createInfraLexer(options: { validate?: boolean } = {}): Lexer {
  return new Lexer(
    {
      defaultMode: 'main',
      modes: {
        main: mainMode,
        template: [InterpStart, DirectiveStart, TemplateText, StringEnd, TemplateNewline],
        heredoc: [HeredocEnd, InterpStart, DirectiveStart, HeredocText],
      },
    },
    {
      positionTracking: 'onlyOffset',
      ensureOptimizations: false,
      skipValidations: options.validate !== true,
      errorMessageProvider: {
        buildUnexpectedCharactersMessage: () => 'unexpected',
        // A stray `}` at the top level; the structure pass reports unbalanced braces itself.
        buildUnableToPopLexerModeMessage: () => UNABLE_TO_POP,
      },
    },
  );
}
