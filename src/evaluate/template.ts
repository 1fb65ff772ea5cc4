/**
 * Template files (`templatefile()`): the file's text is a template - a heredoc's body without the
 * markers: `${...}` interpolations, `%{...}` directives, `$${` and `%%{` for literal `${` and `%{`,
 * no backslash escapes. Parsed by the parser's `parseTemplate`, with the file's own positions.
 */
import type { Diagnostic } from '../diagnostics.js';
import type { TemplateExpr } from '../parser/ast.js';
import { parseTemplate } from '../parser/index.js';

export interface ParsedTemplate {
  readonly template: TemplateExpr | null;
  readonly diagnostics: readonly Diagnostic[];
}

/** Parsed templates by source text: a template used by a thousand instances is parsed once. */
const cache = new Map<string, ParsedTemplate>();
const CACHE_LIMIT = 64;

export function parseTemplateSource(source: string, path: string): ParsedTemplate {
  const key = `${path}\0${source}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const result: ParsedTemplate = parseTemplate(source, path);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, result);
  return result;
}
