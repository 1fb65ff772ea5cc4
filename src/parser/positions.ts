/**
 * Offsets to line/column positions. The lexer tracks offsets only (cheaper), and the ranges of
 * AST nodes (`Span`) compute their line/column positions only when read: most never are.
 */
import type { SourcePos, SourceRange } from '../diagnostics.js';

/** Maps 0-based offsets of one source text to 1-based line/column positions. */
export class LineMap {
  private starts: number[] | undefined;
  // Positions are read mostly in source order, so the last line found is usually the right one.
  private cursor = 0;

  constructor(
    readonly file: string,
    readonly source: string,
  ) {}

  /** Where each line starts; found when a position is first asked for (a well-formed file may never need one). */
  private get lineStarts(): number[] {
    if (this.starts === undefined) {
      const starts = [0];
      const source = this.source;
      let i = source.indexOf('\n');
      while (i !== -1) {
        starts.push(i + 1);
        i = source.indexOf('\n', i + 1);
      }
      this.starts = starts;
    }
    return this.starts;
  }

  /** The position of `offset`, clamped into the text (NaN counts as 0). */
  pos(offset: number): SourcePos {
    if (!(offset > 0)) offset = 0;
    if (offset > this.source.length) offset = this.source.length;
    const starts = this.lineStarts;
    let line = this.cursor;
    if (starts[line] <= offset && (line + 1 >= starts.length || starts[line + 1] > offset)) {
      // cache hit
    } else if (line + 1 < starts.length && starts[line + 1] <= offset && (line + 2 >= starts.length || starts[line + 2] > offset)) {
      line++;
    } else {
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid] <= offset) lo = mid;
        else hi = mid - 1;
      }
      line = lo;
    }
    this.cursor = line;
    return { line: line + 1, column: offset - starts[line] + 1, offset };
  }

  /** The range `[start, end)`, clamped into the text; `end` below `start` is raised to `start`. */
  range(start: number, end: number): Span {
    if (!(start > 0)) start = 0;
    if (start > this.source.length) start = this.source.length;
    if (!(end > start)) end = start;
    if (end > this.source.length) end = this.source.length;
    return new Span(this, start, end);
  }

  /** Number of lines (a trailing newline starts an empty last line). */
  get lineCount(): number {
    return this.lineStarts.length;
  }

  /** Offset where 1-based `line` starts. */
  lineStart(line: number): number {
    return this.lineStarts[Math.min(Math.max(line, 1), this.lineStarts.length) - 1];
  }
}

/**
 * Positions in a text that was parsed wrapped in `prefixLength` characters of one line (and
 * maybe more after it): offsets stay those of the wrapped text inside the parser, positions come
 * out as those of the original text, clamped into it.
 */
export class ShiftedLineMap extends LineMap {
  constructor(
    file: string,
    wrapped: string,
    private readonly prefixLength: number,
    private readonly originalLength: number,
  ) {
    super(file, wrapped);
  }

  override pos(offset: number): SourcePos {
    const inside = Math.min(Math.max(offset, this.prefixLength), this.prefixLength + this.originalLength);
    const p = super.pos(inside);
    return { line: p.line - 1, column: p.column, offset: inside - this.prefixLength };
  }
}

/**
 * A `SourceRange` that keeps offsets and computes positions from its `LineMap` when read. One
 * small object per AST node instead of three, and no line lookups for the ranges nobody reads.
 * Serialises as a plain range.
 */
export class Span implements SourceRange {
  constructor(
    private readonly lines: LineMap,
    /** Offsets in the text the `LineMap` was built from (already clamped). */
    readonly startOffset: number,
    readonly endOffset: number,
  ) {}

  get file(): string {
    return this.lines.file;
  }
  get start(): SourcePos {
    return this.lines.pos(this.startOffset);
  }
  get end(): SourcePos {
    return this.lines.pos(this.endOffset);
  }

  /** The range from this one's start to `other`'s end (this one if `other` ends before it starts). */
  to(other: Span): Span {
    return other.endOffset >= this.startOffset ? new Span(this.lines, this.startOffset, other.endOffset) : this;
  }

  toJSON(): SourceRange {
    return { file: this.file, start: this.start, end: this.end };
  }
}
