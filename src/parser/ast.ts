/**
 * The syntax tree of an .infra file. A union of interfaces tagged by `kind`; every node carries
 * its source range; every field is readonly. The parser's actions build it (`build.ts`); the
 * evaluator, the formatter and the graph read it. Transforms return new trees.
 */
import type { SourceRange } from '../diagnostics.js';

export interface Comment {
  readonly kind: 'Comment';
  /** The comment text as written, including `#`, `//` or the `/* *\/` delimiters. */
  readonly text: string;
  readonly range: SourceRange;
}

export interface FileNode {
  readonly kind: 'File';
  readonly path: string;
  readonly source: string;
  readonly body: Body;
  /** Every comment in the file in source order (the formatter re-attaches them by position). */
  readonly comments: readonly Comment[];
  readonly range: SourceRange;
}

export interface Body {
  readonly kind: 'Body';
  readonly items: readonly (Attribute | Block)[];
  readonly range: SourceRange;
}

export interface Attribute {
  readonly kind: 'Attribute';
  readonly name: string;
  readonly nameRange: SourceRange;
  readonly expr: Expr;
  readonly range: SourceRange;
}

export interface Label {
  readonly value: string;
  /** True for `"quoted"` labels, false for bare identifiers (`lifecycle blue_green`). */
  readonly quoted: boolean;
  readonly range: SourceRange;
}

export interface Block {
  readonly kind: 'Block';
  readonly type: string;
  readonly typeRange: SourceRange;
  readonly labels: readonly Label[];
  /** `null` for a one-line block with labels and no braces: `lifecycle blue_green`. */
  readonly body: Body | null;
  readonly range: SourceRange;
}

export type Expr =
  | LiteralExpr
  | TemplateExpr
  | VariableExpr
  | GetAttrExpr
  | IndexExpr
  | SplatExpr
  | SplatItemExpr
  | CallExpr
  | TupleExpr
  | ObjectExpr
  | UnaryExpr
  | BinaryExpr
  | ConditionalExpr
  | ForTupleExpr
  | ForObjectExpr
  | ParensExpr;

/** A number, bool or null literal. Strings are always `TemplateExpr`. */
export interface LiteralExpr {
  readonly kind: 'Literal';
  readonly value: number | bigint | boolean | null;
  readonly range: SourceRange;
}

/**
 * A template part: literal text (escapes decoded, `~` strip markers applied), an interpolated
 * expression, or a directive's block: `%{ if }...%{ else }...%{ endif }`, `%{ for }...%{ endfor }`.
 */
export type TemplatePart =
  | { readonly kind: 'Text'; readonly value: string; readonly range: SourceRange }
  | { readonly kind: 'Interpolation'; readonly expr: Expr; readonly range: SourceRange }
  | TemplateIf
  | TemplateFor;

/** `%{ if condition }then%{ else }else%{ endif }`: the range runs from `%{ if` to `endif }`. */
export interface TemplateIf {
  readonly kind: 'If';
  readonly condition: Expr;
  readonly then: readonly TemplatePart[];
  readonly else: readonly TemplatePart[];
  readonly range: SourceRange;
}

/** `%{ for k, v in collection }body%{ endfor }` (keyVar optional). */
export interface TemplateFor {
  readonly kind: 'For';
  readonly keyVar?: string;
  readonly valueVar: string;
  readonly collection: Expr;
  readonly body: readonly TemplatePart[];
  readonly range: SourceRange;
}

/** A quoted string or a heredoc. A template of one `Text` part is a plain string. */
export interface TemplateExpr {
  readonly kind: 'Template';
  readonly parts: readonly TemplatePart[];
  /** Set for heredocs: the marker and whether it was `<<-` (indented). */
  readonly heredoc?: { readonly marker: string; readonly indented: boolean };
  readonly range: SourceRange;
}

/** A bare name at the root of a traversal: `var`, `local`, `each`, `linode_instance`, ... */
export interface VariableExpr {
  readonly kind: 'Variable';
  readonly name: string;
  readonly range: SourceRange;
}

export interface GetAttrExpr {
  readonly kind: 'GetAttr';
  readonly object: Expr;
  readonly name: string;
  readonly nameRange: SourceRange;
  readonly range: SourceRange;
}

/** `object[key]`; also `object.0` (legacy index) arrives here with a numeric literal key. */
export interface IndexExpr {
  readonly kind: 'Index';
  readonly object: Expr;
  readonly key: Expr;
  readonly range: SourceRange;
}

/**
 * A splat: `each` is evaluated once for every element of `object` (null gives an empty list, a
 * value that is not a list is taken as a list of itself), with `SplatItem` standing for the
 * element; the result is the list of those values. As in HCL, a full splat (`x[*]`) takes the
 * whole traversal after it into `each` - attributes, indexes, further splats - so
 * `x[*].s[1]` is `[for e in x : e.s[1]]`; a legacy splat (`x.*`) takes attribute access (and the
 * legacy `.0` index) only, so `x.*.s[1]` is `[for e in x : e.s][1]`. `x[*]` alone has
 * `each` = the `SplatItem` itself.
 */
export interface SplatExpr {
  readonly kind: 'Splat';
  readonly object: Expr;
  readonly each: Expr;
  /** True for the attribute-only `.*` form. */
  readonly legacy: boolean;
  readonly range: SourceRange;
}

/** The element a splat's `each` is applied to; its range is the `[*]` or `.*` it stands for. */
export interface SplatItemExpr {
  readonly kind: 'SplatItem';
  readonly range: SourceRange;
}

export interface CallExpr {
  readonly kind: 'Call';
  readonly name: string;
  readonly nameRange: SourceRange;
  readonly args: readonly Expr[];
  /** `f(xs...)`: the last argument is a list expanded into arguments. */
  readonly expandFinal: boolean;
  readonly range: SourceRange;
}

export interface TupleExpr {
  readonly kind: 'Tuple';
  readonly items: readonly Expr[];
  readonly range: SourceRange;
}

export interface ObjectItem {
  /** A bare identifier key is a `Template` of one `Text` part (HCL: `{ k = v }` means "k"). */
  readonly key: Expr;
  readonly value: Expr;
  readonly range: SourceRange;
}

export interface ObjectExpr {
  readonly kind: 'Object';
  readonly items: readonly ObjectItem[];
  readonly range: SourceRange;
}

export interface UnaryExpr {
  readonly kind: 'Unary';
  readonly op: '!' | '-';
  readonly operand: Expr;
  readonly range: SourceRange;
}

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||';

export interface BinaryExpr {
  readonly kind: 'Binary';
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
  readonly range: SourceRange;
}

export interface ConditionalExpr {
  readonly kind: 'Conditional';
  readonly condition: Expr;
  readonly then: Expr;
  readonly else: Expr;
  readonly range: SourceRange;
}

/** `[for k, v in coll : expr if cond]` (keyVar optional). */
export interface ForTupleExpr {
  readonly kind: 'ForTuple';
  readonly keyVar?: string;
  readonly valueVar: string;
  readonly collection: Expr;
  readonly value: Expr;
  readonly condition?: Expr;
  readonly range: SourceRange;
}

/** `{for k, v in coll : keyExpr => valueExpr if cond}`; `grouping` is the `...` suffix. */
export interface ForObjectExpr {
  readonly kind: 'ForObject';
  readonly keyVar?: string;
  readonly valueVar: string;
  readonly collection: Expr;
  readonly key: Expr;
  readonly value: Expr;
  readonly condition?: Expr;
  readonly grouping: boolean;
  readonly range: SourceRange;
}

export interface ParensExpr {
  readonly kind: 'Parens';
  readonly expr: Expr;
  readonly range: SourceRange;
}
