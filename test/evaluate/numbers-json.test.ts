/** jsonencode as Terraform's (sorted keys, HTML-safe escapes) and numbers that keep their digits. */
import { expect } from 'chai';
import { convert } from '../../src/evaluate/convert.js';
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

  it('integers beyond 2^53 are exact: literals, tostring, interpolation, jsonencode, comparison (as Terraform)', () => {
    expect(value('9007199254740993')).to.equal(9007199254740993n);
    expect(parseExpression('1234567890123456789', 'main.infra').diagnostics).to.deep.equal([]);
    expect(value('tostring(9007199254740993)')).to.equal('9007199254740993');
    expect(value('"id=${9007199254740993}"')).to.equal('id=9007199254740993');
    expect(value('jsonencode({ id = 9007199254740993, serial = 2026120601 })')).to.equal('{"id":9007199254740993,"serial":2026120601}');
    expect(value('yamlencode({ id = 9007199254740993 })')).to.equal('"id": 9007199254740993\n');
    expect(value('9007199254740993 == 9007199254740992')).to.equal(false);
    expect(value('9007199254740993 != 9007199254740992')).to.equal(true);
    expect(value('9007199254740993 > 9007199254740992')).to.equal(true);
    expect(value('9007199254740992 < 9007199254740993')).to.equal(true);
    expect(value('9007199254740993 >= 9007199254740993.5')).to.equal(false);
    expect(value('contains([9007199254740993], 9007199254740993)')).to.equal(true);
    // A set(number) orders its elements by value, bigints among them.
    expect(convert([9007199254740993n, 1, 9007199254740992, 1], { set: 'number' })).to.deep.equal([1, 9007199254740992, 9007199254740993n]);
    expect(value('{ (9007199254740993) = "x" }')).to.deep.equal({ '9007199254740993': 'x' });
    // A whole number a float holds exactly stays a plain number.
    expect(value('9007199254740994')).to.equal(9007199254740994);
    expect(value('1e21')).to.equal(1e21);
  });

  it('integers beyond 2^53 survive round trips through strings and JSON exactly', () => {
    expect(value('tonumber("9007199254740993")')).to.equal(9007199254740993n);
    expect(value('tonumber(tostring(12345678901234567890123))')).to.equal(12345678901234567890123n);
    expect(value('jsondecode("{\\"id\\": 1234567890123456789, \\"s\\": \\"1234567890123456789\\", \\"serial\\": 2026120601}")')).to.deep.equal({
      id: 1234567890123456789n,
      s: '1234567890123456789',
      serial: 2026120601,
    });
    expect(value('jsondecode(jsonencode([-9007199254740993]))')).to.deep.equal([-9007199254740993n]);
    expect(value('jsondecode("9007199254740993.5")')).to.equal(9007199254740993.5);
    // Long runs of digits in a fraction, an exponent or a string are not integers of their own.
    expect(value('jsondecode("[0.12345678901234567890, 1.5e-1234567890123456, \\"12345678901234567890\\"]")')).to.deep.equal([0.12345678901234568, 0, '12345678901234567890']);
    expect(value('format("%d %s %v", 9007199254740993, 9007199254740993, 9007199254740993)')).to.equal('9007199254740993 9007199254740993 9007199254740993');
    expect(value('parseint("9007199254740993", 10)')).to.equal(9007199254740993n);
    expect(value('parseint("-ffffffffffffffffff", 16)')).to.equal(-0xffffffffffffffffffn);
  });

  it('arithmetic between integers is exact at any size; with a fraction it is a 64-bit float', () => {
    expect(value('9007199254740993 + 1')).to.equal(9007199254740994);
    expect(value('9007199254740992 + 1')).to.equal(9007199254740993n);
    expect(value('9007199254740993 - 9007199254740992')).to.equal(1);
    expect(value('-9007199254740993')).to.equal(-9007199254740993n);
    expect(value('tostring(100000000000000000000 * 100000000000000000000)')).to.equal('10000000000000000000000000000000000000000');
    expect(value('9007199254740993 % 10')).to.equal(3);
    expect(value('9007199254740993 / 3')).to.equal(3002399751580331);
    // Not whole: a 64-bit float (Terraform's 4503599627370496.5 needs more than 53 bits).
    expect(value('9007199254740993 / 2')).to.equal(4503599627370496);
    // With a fraction, the bigint is rounded to a float first (Terraform: 13510798882111489.5).
    expect(value('9007199254740993 * 1.5')).to.equal(13510798882111488);
    expect(value('abs(-9007199254740993)')).to.equal(9007199254740993n);
    expect(value('max(9007199254740993, 1)')).to.equal(9007199254740993n);
    expect(value('min(9007199254740993, 9007199254740995)')).to.equal(9007199254740993n);
    expect(value('floor(9007199254740993)')).to.equal(9007199254740993n);
    expect(value('ceil(9007199254740993)')).to.equal(9007199254740993n);
  });

  it('an integer beyond 2^53 as a list index is out of range, not a crash', () => {
    expect(failure('[1, 2][9007199254740993]').summary).to.equal('Index 9007199254740993 out of range');
  });

  it('a number beyond floats\' range (about 1.8e308) is an error wherever it is read, not Infinity', () => {
    const r = parseExpression('1e400', 'main.infra');
    expect(r.diagnostics.map((d) => [d.summary, d.detail, `${d.range?.start.column}-${d.range?.end.column}`])).to.deep.equal([
      ['Number too large', 'The number 1e400 is beyond the largest number here (about 1.8e308).', '1-6'],
    ]);
    expect(failure('jsondecode("[1, -1e400]")').detail).to.equal('The JSON holds a number beyond the largest number here (about 1.8e308).');
    expect(failure('yamldecode("a: 1e400")').detail).to.equal('Argument 1 (src): the number 1e400 is beyond the largest number here (about 1.8e308).');
    expect(failure('tonumber("1e400")').detail).to.equal('Argument 1 (value): the number 1e400 is beyond the largest number here (about 1.8e308).');
  });
});
