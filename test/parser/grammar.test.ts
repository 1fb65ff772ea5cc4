/**
 * The CLI builds the lexer and the parser without chevrotain's self-checks (start-up time); the
 * checks run here instead, so a change to the grammar or the tokens cannot slip past them.
 */
import { expect } from 'chai';
import { InfraParser } from '../../src/parser/parser.js';
import { createInfraLexer } from '../../src/parser/tokens.js';

describe('parser: grammar and token definitions', () => {
  it('pass chevrotain validations', () => {
    expect(() => createInfraLexer({ validate: true })).not.to.throw();
    expect(() => new InfraParser({ validate: true })).not.to.throw();
  });

  it('the validated lexer reads what the fast one reads', () => {
    const text = 'a = "x ${b}" # c\nd = <<EOT\ne\nEOT\n';
    const names = (ts: { tokenType: { name: string } }[]) => ts.map((t) => t.tokenType.name);
    const validated = createInfraLexer({ validate: true }).tokenize(text);
    const fast = createInfraLexer().tokenize(text);
    expect(names(validated.tokens)).to.deep.equal(names(fast.tokens));
    expect(validated.errors).to.deep.equal([]);
  });
});
