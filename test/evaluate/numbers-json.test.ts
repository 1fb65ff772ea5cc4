/** jsonencode as Terraform's (sorted keys, HTML-safe escapes) and numbers that keep their digits. */
import { expect } from 'chai';
import { parseExpression } from '../../src/parser/index.js';
import { failure, value } from './helpers.js';

describe('jsonencode and number precision', () => {
  it('jsonencode sorts object keys at every level, like Terraform', () => {
    expect(value('jsonencode({ b = 1, a = { d = [2, { z = 1, y = 2 }], c = null } })')).to.equal('{"a":{"c":null,"d":[2,{"y":2,"z":1}]},"b":1}');
  });

  it('jsonencode escapes <, >, &, U+2028 and U+2029 as Terraform does', () => {
    expect(value('jsonencode("<b>&\\u2028\\u2029é")')).to.equal('"\\u003cb\\u003e\\u0026\\u2028\\u2029é"');
  });

  it('serials, ports and IDs keep every digit through jsonencode, tostring and interpolation', () => {
    expect(value('jsonencode({ serial = 2026112701, port = 53, id = 9007199254740991 })')).to.equal('{"id":9007199254740991,"port":53,"serial":2026112701}');
    expect(value('tostring(2026112701)')).to.equal('2026112701');
    expect(value('"n=${2026112701}"')).to.equal('n=2026112701');
    expect(value('"n=${9007199254740991}"')).to.equal('n=9007199254740991');
    expect(value('2026112701 + 1')).to.equal(2026112702);
    // A 19-digit ID written as a string stays a string, digit for digit.
    expect(value('jsonencode({ id = "1234567890123456789" })')).to.equal('{"id":"1234567890123456789"}');
  });

  it('large and small numbers print without exponents, as Terraform prints them', () => {
    expect(value('"n=${1e21}"')).to.equal('n=1000000000000000000000');
    expect(value('jsonencode(1e21)')).to.equal('1000000000000000000000');
    expect(value('"n=${0.0000001}"')).to.equal('n=0.0000001');
    expect(value('"n=${1.5e-7}"')).to.equal('n=0.00000015');
    expect(value('"n=${-2.5e22}"')).to.equal('n=-25000000000000000000000');
  });

  it('an integer literal that a 64-bit float cannot hold exactly is an error, not a silently different number', () => {
    const r = parseExpression('1234567890123456789', 'main.infra');
    expect(r.diagnostics.map((d) => [d.summary, d.detail, `${d.range?.start.column}-${d.range?.end.column}`])).to.deep.equal([
      [
        'Number cannot be represented exactly',
        '1234567890123456789 is beyond 9007199254740992 (2^53), the largest integer numbers hold exactly here; it would become 1234567890123456768. Write an ID this long as a string: "1234567890123456789".',
        '1-20',
      ],
    ]);
    expect(parseExpression('9007199254740992', 'main.infra').diagnostics).to.deep.equal([]);
    expect(parseExpression('1e21', 'main.infra').diagnostics).to.deep.equal([]);
  });

  it('jsondecode of such a number is an error; in a string, or within 2^53, it is fine', () => {
    expect(failure('jsondecode("{\\"id\\": 1234567890123456789}")').detail).to.equal(
      'The JSON holds a number that cannot be read exactly: 1234567890123456789 is beyond 9007199254740992 (2^53), the largest integer numbers hold exactly here; it would become 1234567890123456768. Have it written as a string.',
    );
    expect(value('jsondecode("{\\"id\\": \\"1234567890123456789\\", \\"serial\\": 2026112701}")')).to.deep.equal({ id: '1234567890123456789', serial: 2026112701 });
  });

  it('tonumber of such a string is an error too', () => {
    expect(failure('tonumber("1234567890123456789")').detail).to.equal(
      'Argument 1 (value): "1234567890123456789" is beyond 9007199254740992 (2^53), the largest integer numbers hold exactly here.',
    );
  });
});
