/**
 * The CLI builds the parser without chevrotain's self-checks (start-up time); the checks run here
 * instead, so a change to the grammar or the tokens cannot slip past them. (The scanner is compared
 * with the reference lexer in lexer.test.ts.)
 */
import { expect } from 'chai';
import { InfraParser } from '../../src/parser/parser.js';
import { createInfraLexer } from '../../src/parser/tokens.js';

describe('parser: grammar and token definitions', () => {
  it('pass chevrotain validations', () => {
    expect(() => createInfraLexer({ validate: true })).not.to.throw();
    expect(() => new InfraParser({ validate: true })).not.to.throw();
  });
});
