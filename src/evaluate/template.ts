/**
 * Template files (`templatefile()`): the file's text is a template with `${...}` interpolations,
 * the same syntax as a heredoc's body (`$${` for a literal `${`, no backslash escapes). The parser
 * has no template entry point, so the text is wrapped in a heredoc and parsed as an expression;
 * positions are then one line further down than in the file, which `TEMPLATE_LINE_SHIFT` undoes.
 */
import type { Diagnostic } from '../diagnostics.js';
import type { TemplateExpr, TemplatePart } from '../parser/ast.js';
import { parseExpression } from '../parser/index.js';

/** Lines added in front of the template text by the heredoc wrapper. */
export const TEMPLATE_LINE_SHIFT = 1;

export interface ParsedTemplate {
  readonly template: TemplateExpr | null;
  readonly diagnostics: readonly Diagnostic[];
}

/** Parsed templates by source text: a template used by a thousand instances is parsed once. */
const cache = new Map<string, ParsedTemplate>();
const CACHE_LIMIT = 64;

/** Parses template text; diagnostics' ranges are in the wrapped text (see TEMPLATE_LINE_SHIFT). */
export function parseTemplateSource(source: string, path: string): ParsedTemplate {
  const key = `${path}\0${source}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let marker = 'INFRA_TEMPLATE_END';
  while (source.includes(marker)) marker += '_';
  const endsWithNewline = source.endsWith('\n');
  const wrapped = `<<${marker}\n${source}${endsWithNewline ? '' : '\n'}${marker}\n`;
  const { expr, diagnostics } = parseExpression(wrapped, path);
  let result: ParsedTemplate;
  if (expr === null || expr.kind !== 'Template' || diagnostics.length > 0) {
    result = { template: null, diagnostics };
  } else {
    let parts: readonly TemplatePart[] = expr.parts;
    if (!endsWithNewline) parts = dropFinalNewline(parts);
    result = { template: { ...expr, parts }, diagnostics: [] };
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, result);
  return result;
}

function dropFinalNewline(parts: readonly TemplatePart[]): readonly TemplatePart[] {
  const last = parts[parts.length - 1];
  if (last === undefined || last.kind !== 'Text' || !last.value.endsWith('\n')) return parts;
  const value = last.value.slice(0, -1);
  // A template that is exactly "${x}" must not collapse into x itself: keep an empty text part.
  return [...parts.slice(0, -1), { ...last, value }];
}
