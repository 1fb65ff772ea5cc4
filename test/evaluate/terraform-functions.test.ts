/**
 * The functions Terraform configurations use, checked against the examples on Terraform's own
 * documentation pages (developer.hashicorp.com/terraform/language/functions/NAME): each `expect`
 * is one documented example, written as the page writes it.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUnknown, Sensitive, sensitive, UNKNOWN } from '../../src/evaluate/value.js';
import { failure, run, scope, value } from './helpers.js';

describe('functions: Terraform documentation examples', () => {
  it('cidrhost', () => {
    expect(value('cidrhost("10.12.112.0/20", 16)')).to.equal('10.12.112.16');
    expect(value('cidrhost("10.12.112.0/20", 268)')).to.equal('10.12.113.12');
    expect(value('cidrhost("fd00:fd12:3456:7890:00a2::/72", 34)')).to.equal('fd00:fd12:3456:7890::22');
    expect(value('cidrhost("10.0.0.0/8", -1)')).to.equal('10.255.255.255');
    expect(failure('cidrhost("10.0.0.0/30", 4)').detail).to.equal('Invalid host number: prefix of 30 bits cannot accommodate a host numbered 4.');
    expect(failure('cidrhost("10.0.0/8", 1)').detail).to.equal('Invalid CIDR prefix: "10.0.0" is not an IP address.');
  });

  it('cidrsubnet', () => {
    expect(value('cidrsubnet("172.16.0.0/12", 4, 2)')).to.equal('172.18.0.0/16');
    expect(value('cidrsubnet("10.1.2.0/24", 4, 15)')).to.equal('10.1.2.240/28');
    expect(value('cidrsubnet("fd00:fd12:3456:7890::/56", 16, 162)')).to.equal('fd00:fd12:3456:7800:a200::/72');
    expect(failure('cidrsubnet("10.1.2.0/24", 4, 16)').detail).to.equal('prefix extension of 4 does not accommodate a subnet numbered 16.');
    expect(failure('cidrsubnet("10.1.2.0/24", 9, 0)').detail).to.equal('insufficient address space to extend prefix of 24 by 9.');
  });

  it('cidrsubnets', () => {
    expect(value('cidrsubnets("10.1.0.0/16", 4, 4, 8, 4)')).to.deep.equal(['10.1.0.0/20', '10.1.16.0/20', '10.1.32.0/24', '10.1.48.0/20']);
    expect(value('cidrsubnets("fd00:fd12:3456:7890::/56", 16, 16, 16, 32)')).to.deep.equal([
      'fd00:fd12:3456:7800::/72',
      'fd00:fd12:3456:7800:100::/72',
      'fd00:fd12:3456:7800:200::/72',
      'fd00:fd12:3456:7800:300::/88',
    ]);
    expect(value('[for cidr_block in cidrsubnets("10.0.0.0/8", 8, 8, 8, 8) : cidrsubnets(cidr_block, 4, 4)]')).to.deep.equal([
      ['10.0.0.0/20', '10.0.16.0/20'],
      ['10.1.0.0/20', '10.1.16.0/20'],
      ['10.2.0.0/20', '10.2.16.0/20'],
      ['10.3.0.0/20', '10.3.16.0/20'],
    ]);
  });

  it('slice, compact, coalescelist, one, reverse, index, distinct, flatten, range, zipmap, element', () => {
    expect(value('slice(["a", "b", "c", "d"], 1, 3)')).to.deep.equal(['b', 'c']);
    expect(failure('slice(["a"], 0, 2)').detail).to.equal('The end index must be a whole number no greater than the length of the list (1).');
    expect(value('compact(["a", "", "b", null, "c"])')).to.deep.equal(['a', 'b', 'c']);
    expect(value('coalescelist(["a", "b"], ["c", "d"])')).to.deep.equal(['a', 'b']);
    expect(value('coalescelist([], ["c", "d"])')).to.deep.equal(['c', 'd']);
    expect(value('coalescelist([[], ["c", "d"]]...)')).to.deep.equal(['c', 'd']);
    expect(failure('coalescelist([], null)').detail).to.equal('Every argument is null or an empty list.');
    expect(value('one([])')).to.equal(null);
    expect(value('one(["hello"])')).to.equal('hello');
    expect(failure('one(["hello", "goodbye"])').detail).to.equal('The list must have no more than one element; it has 2.');
    expect(value('reverse([1, 2, 3])')).to.deep.equal([3, 2, 1]);
    expect(value('index(["a", "b", "c"], "b")')).to.equal(1);
    expect(failure('index(["a"], "z")').summary).to.equal('Item not found');
    expect(value('distinct(["a", "b", "a", "c", "d", "b"])')).to.deep.equal(['a', 'b', 'c', 'd']);
    expect(value('flatten([["a", "b"], [], ["c"]])')).to.deep.equal(['a', 'b', 'c']);
    expect(value('flatten([[["a", "b"], []], ["c"]])')).to.deep.equal(['a', 'b', 'c']);
    expect(value('range(3)')).to.deep.equal([0, 1, 2]);
    expect(value('range(1, 4)')).to.deep.equal([1, 2, 3]);
    expect(value('range(1, 8, 2)')).to.deep.equal([1, 3, 5, 7]);
    expect(value('range(1, 4, 0.5)')).to.deep.equal([1, 1.5, 2, 2.5, 3, 3.5]);
    expect(value('range(4, 1)')).to.deep.equal([4, 3, 2]);
    expect(value('range(10, 5, -2)')).to.deep.equal([10, 8, 6]);
    expect(value('zipmap(["a", "b"], [1, 2])')).to.deep.equal({ a: 1, b: 2 });
    expect(value('element(["a", "b", "c"], 1)')).to.equal('b');
    expect(value('element(["a", "b", "c"], 3)')).to.equal('a');
    expect(value('element(["a", "b", "c"], length(["a", "b", "c"])-1)')).to.equal('c');
  });

  it('alltrue, anytrue, setunion, setintersection, tomap, tolist', () => {
    expect(value('alltrue(["true", true])')).to.equal(true);
    expect(value('alltrue([true, false])')).to.equal(false);
    expect(value('alltrue([])')).to.equal(true);
    expect(value('anytrue(["true"])')).to.equal(true);
    expect(value('anytrue([true, false])')).to.equal(true);
    expect(value('anytrue([])')).to.equal(false);
    expect(value('setunion(["a", "b"], ["b", "c"], ["d"])')).to.deep.equal(['a', 'b', 'c', 'd']);
    expect(value('setintersection(["a", "b"], ["b", "c"], ["b", "d"])')).to.deep.equal(['b']);
    expect(value('tomap({"a" = 1, "b" = 2})')).to.deep.equal({ a: 1, b: 2 });
    expect(value('tolist(["a", "b", "c"])')).to.deep.equal(['a', 'b', 'c']);
  });

  it('strings: chomp, trim*, title, strcontains, startswith, endswith, urlencode, replace', () => {
    expect(value('chomp("hello\\n")')).to.equal('hello');
    expect(value('chomp("hello\\r\\n")')).to.equal('hello');
    expect(value('chomp("hello\\n\\n")')).to.equal('hello');
    expect(value('trim("?!hello?!", "!?")')).to.equal('hello');
    expect(value('trim("foobar", "far")')).to.equal('oob');
    expect(value('trim("   hello! world.!  ", "! ")')).to.equal('hello! world.');
    expect(value('trimprefix("helloworld", "hello")')).to.equal('world');
    expect(value('trimprefix("helloworld", "cat")')).to.equal('helloworld');
    expect(value('trimsuffix("helloworld", "world")')).to.equal('hello');
    expect(value('trimspace("  hello\\n\\n")')).to.equal('hello');
    expect(value('title("hello world")')).to.equal('Hello World');
    // As Go's strings.Title: punctuation starts a word, "_" does not.
    expect(value('title("don\'t stop-me now_or.ever")')).to.equal("Don'T Stop-Me Now_or.Ever");
    expect(value('strcontains("hello world", "wor")')).to.equal(true);
    expect(value('strcontains("hello world", "wod")')).to.equal(false);
    expect(value('startswith("hello world", "hello")')).to.equal(true);
    expect(value('startswith("hello world", "world")')).to.equal(false);
    expect(value('endswith("hello world", "world")')).to.equal(true);
    expect(value('endswith("hello world", "hello")')).to.equal(false);
    expect(value('urlencode("Hello World!")')).to.equal('Hello+World%21');
    expect(value('urlencode("☃")')).to.equal('%E2%98%83');
    expect(value('"http://example.com/search?q=${urlencode("terraform urlencode")}"')).to.equal('http://example.com/search?q=terraform+urlencode');
    expect(value('replace("1 + 2 + 3", "+", "-")')).to.equal('1 - 2 - 3');
    expect(value('replace("hello world", "/w.*d/", "everybody")')).to.equal('hello everybody');
    // "$${" is HCL's escape for a literal "${": the replacement is Go's "$3.$2.${1}".
    expect(value('replace("2019-02-01", "/(\\\\d+)-(\\\\d+)-(\\\\d+)/", "$3.$2.$${1}")')).to.equal('01.02.2019');
    expect(value('replace("a$b", "/\\\\$/", "$$")')).to.equal('a$b');
    expect(value('replace("2019-02-01", "/(\\\\d+)-(\\\\d+)-(\\\\d+)/", "$${3}.$2.$1x")')).to.equal('01.02.');
  });

  it('regex and regexall (RE2 syntax)', () => {
    expect(value('regex("[a-z]+", "53453453.345345aaabbbccc23454")')).to.equal('aaabbbccc');
    expect(value('regex("(\\\\d\\\\d\\\\d\\\\d)-(\\\\d\\\\d)-(\\\\d\\\\d)", "2019-02-01")')).to.deep.equal(['2019', '02', '01']);
    expect(value('regex("^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?", "https://terraform.io/docs/")')).to.deep.equal({ authority: 'terraform.io', scheme: 'https' });
    expect(failure('regex("[a-z]+", "53453453.34534523454")').summary).to.equal('No match for the regular expression');
    expect(value('regexall("[a-z]+", "1234abcd5678efgh9")')).to.deep.equal(['abcd', 'efgh']);
    expect(value('length(regexall("[a-z]+", "1234abcd5678efgh9"))')).to.equal(2);
    expect(value('length(regexall("[a-z]+", "123456789")) > 0')).to.equal(false);
    expect(value('regex("(?i)^HELLO$", "hello")')).to.equal('hello');
    // As terraform console gives them:
    expect(value('regex("(a)?(b)", "b")')).to.deep.equal([null, 'b']);
    expect(value('regexall("(\\\\d)(\\\\w)", "1a2b")')).to.deep.equal([['1', 'a'], ['2', 'b']]);
    expect(value('cidrhost("2001:db8::/32", 65536)')).to.equal('2001:db8::1:0');
    expect(value('formatdate("D M YY h H AA", "2006-01-02T03:04:05Z")')).to.equal('2 1 06 3 3 AM');
    expect(value('urlencode("a b&c=d/é")')).to.equal('a+b%26c%3Dd%2F%C3%A9');
    expect(value('regex("a\\\\-b", "a-b")')).to.equal('a-b');
    expect(value('regex("\\\\pL+", "añb1")')).to.equal('añb');
    expect(failure('regex("(a)\\\\1", "aa")').detail).to.equal('backreferences (\\1) are not supported by RE2.');
    expect(failure('regex("a(?=b)", "ab")').detail).to.equal('lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported by RE2.');
    expect(failure('regex("(?P<a>x)(y)", "xy")').detail).to.equal('The pattern mixes named and unnamed capture groups; use one kind.');
    expect(failure('regex("[[:alpha:]]", "a")').detail).to.equal('POSIX classes like [[:alpha:]] are not supported; write [a-zA-Z] or \\p{L}.');
  });

  it('encodings and hashes: base64encode, base64decode, md5, sha1, yamlencode', () => {
    expect(value('base64encode("Hello World")')).to.equal('SGVsbG8gV29ybGQ=');
    expect(value('base64decode("SGVsbG8gV29ybGQ=")')).to.equal('Hello World');
    expect(failure('base64decode("not base64!")').detail).to.equal('The string is not valid base64 (standard alphabet, padded with "=").');
    expect(value('md5("hello world")')).to.equal('5eb63bbbe01eeed093cb22bb8f5acdc3');
    expect(value('sha1("hello world")')).to.equal('2aae6c35c94fcfb415dbe95f408b9ce91ee846ed');
    expect(value('yamlencode({"a":"b", "c":"d"})')).to.equal('"a": "b"\n"c": "d"\n');
    expect(value('yamlencode({"foo":[1, 2, 3], "bar": "baz"})')).to.equal('"bar": "baz"\n"foo":\n- 1\n- 2\n- 3\n');
    expect(value('yamlencode({"foo":[1, {"a":"b","c":"d"}, 3], "bar": "baz"})')).to.equal('"bar": "baz"\n"foo":\n- 1\n- "a": "b"\n  "c": "d"\n- 3\n');
    expect(value('yamlencode({a = {b = [[1, 2], []], c = {}}, d = null, e = true})')).to.equal('"a":\n  "b":\n  - - 1\n    - 2\n  - []\n  "c": {}\n"d": null\n"e": true\n');
    // As terraform console gives them:
    expect(value('yamlencode({script = "a\\nb\\n", one = "x\\ny", lead = " x\\ny", tab = "a\\tb\\nc"})')).to.equal(
      '"lead": |2-\n   x\n  y\n"one": |-\n  x\n  y\n"script": |\n  a\n  b\n"tab": "a\\tb\\nc"\n',
    );
    expect(value('yamlencode({a = [{b = "x\\ny"}], e = "", n = 1.5})')).to.equal('"a":\n- "b": |-\n    x\n    y\n"e": ""\n"n": 1.5\n');
    expect(value('yamlencode(["x\\ny", {k = "a\\nb"}])')).to.equal('- |-\n  x\n  y\n- "k": |-\n    a\n    b\n');
    expect(value('yamlencode("a\\nb")')).to.equal('|-\n  a\n  b\n');
  });

  it('numbers: ceil, floor, pow, parseint', () => {
    expect(value('ceil(5)')).to.equal(5);
    expect(value('ceil(5.1)')).to.equal(6);
    expect(value('floor(5)')).to.equal(5);
    expect(value('floor(4.9)')).to.equal(4);
    expect(value('pow(3, 2)')).to.equal(9);
    expect(value('pow(4, 0)')).to.equal(1);
    expect(value('parseint("100", 10)')).to.equal(100);
    expect(value('parseint("FF", 16)')).to.equal(255);
    expect(value('parseint("-10", 16)')).to.equal(-16);
    expect(value('parseint("1011111011101111", 2)')).to.equal(48879);
    expect(value('parseint("aA", 62)')).to.equal(656);
    expect(failure('parseint("12", 2)').detail).to.equal('Cannot parse "12" as a base 2 integer.');
  });

  it('time: formatdate, timestamp', () => {
    expect(value('formatdate("DD MMM YYYY hh:mm ZZZ", "2018-01-02T23:12:01Z")')).to.equal('02 Jan 2018 23:12 UTC');
    expect(value('formatdate("EEEE, DD-MMM-YY hh:mm:ss ZZZ", "2018-01-02T23:12:01Z")')).to.equal('Tuesday, 02-Jan-18 23:12:01 UTC');
    expect(value('formatdate("EEE, DD MMM YYYY hh:mm:ss ZZZ", "2018-01-02T23:12:01-08:00")')).to.equal('Tue, 02 Jan 2018 23:12:01 -0800');
    expect(value('formatdate("MMM DD, YYYY", "2018-01-02T23:12:01Z")')).to.equal('Jan 02, 2018');
    expect(value('formatdate("HH:mmaa", "2018-01-02T23:12:01Z")')).to.equal('11:12pm');
    expect(value('formatdate("h\'h\'mm", "2018-01-02T23:12:01-08:00")')).to.equal('23h12');
    expect(value('formatdate("YYYY-MM-DD\'T\'hh:mm:ssZ", "2018-01-02T23:12:01+05:30")')).to.equal('2018-01-02T23:12:01+05:30');
    expect(failure('formatdate("YYYY", "2018-01-02")').detail).to.equal('"2018-01-02" is not an RFC 3339 timestamp (like "2018-01-02T23:12:01Z").');
    expect(failure('formatdate("YYYY-QQ", "2018-01-02T23:12:01Z")').detail).to.equal(
      'Invalid specification: invalid date format verb "QQ": letters other than the documented sequences must be quoted (\'like this\').',
    );
    const ts = value('timestamp()') as string;
    expect(ts).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // The time of the first call in this process (an earlier test may have made it).
    expect(Date.parse(ts)).to.be.within(Date.parse('2024-01-01T00:00:00Z'), Date.now());
    expect(value('timestamp()')).to.equal(ts);
    expect(value('uuid()')).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('sensitive and nonsensitive', () => {
    const s = scope({ vars: { secret: sensitive('hunter2'), u: UNKNOWN } });
    expect(value('sensitive(1)')).to.deep.equal(new Sensitive(1));
    expect(value('nonsensitive(sha256(var.secret))', s)).to.equal('f52fbd32b2b3b86ff88ef6c490628285f482af15ddcb29541f94bcf526a3f6c7');
    expect(value('nonsensitive("plain")')).to.equal('plain');
    expect(isUnknown(run('nonsensitive(var.u)', s).value)).to.equal(true);
  });

  describe('paths and files', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'infra-tf-fn-'));
      writeFileSync(join(dir, 'hello.txt'), 'Hello World');
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('basename, dirname, pathexpand', () => {
      expect(value('basename("foo/bar/baz.txt")')).to.equal('baz.txt');
      expect(value('basename("foo/bar/")')).to.equal('bar');
      expect(value('basename("")')).to.equal('.');
      expect(value('dirname("foo/bar/baz.txt")')).to.equal('foo/bar');
      expect(value('dirname("foo")')).to.equal('.');
      // As terraform console gives them:
      expect(value('dirname("/etc/")')).to.equal('/etc');
      expect(value('dirname("/etc")')).to.equal('/');
      expect(value('dirname("a//b/../c")')).to.equal('a');
      const s = scope({ env: { HOME: '/home/steve' } });
      expect(value('pathexpand("~/.ssh/id_rsa")', s)).to.equal('/home/steve/.ssh/id_rsa');
      expect(value('pathexpand("/etc/resolv.conf")', s)).to.equal('/etc/resolv.conf');
      expect(failure('pathexpand("~bob/x")', s).detail).to.equal('Only "~" and "~/..." can be expanded, not another user\'s home directory.');
    });

    it('filebase64, filemd5', () => {
      const s = scope({ configDir: dir });
      expect(value('filebase64("hello.txt")', s)).to.equal('SGVsbG8gV29ybGQ=');
      expect(value('filemd5("hello.txt")', s)).to.equal('b10a8db164e0754105b7a99be72e3fe5');
      expect(failure('filemd5("missing.txt")', s).summary).to.equal('Cannot read file "missing.txt": no such file');
    });
  });
});

describe('functions: as terraform console (1.11) gives them, beyond the documented examples', () => {
  it('tolist, tomap, coalesce, distinct, setunion and setintersection unify their elements as Terraform converts them', () => {
    expect(value('tolist([1, "a"])')).to.deep.equal(['1', 'a']);
    expect(value('tolist([null, 1, "a", true])')).to.deep.equal([null, '1', 'a', 'true']);
    expect(value('tolist([[1], ["a"]])')).to.deep.equal([['1'], ['a']]);
    expect(value('tolist([{ a = 1 }, { a = "x" }])')).to.deep.equal([{ a: '1' }, { a: 'x' }]);
    expect(value('tolist([{ a = 1 }, { b = 1 }])')).to.deep.equal([{ a: 1 }, { b: 1 }]);
    expect(value('tomap({ a = 1, b = "x" })')).to.deep.equal({ a: '1', b: 'x' });
    expect(value('tomap({ a = [1], b = ["x"] })')).to.deep.equal({ a: ['1'], b: ['x'] });
    expect(value('coalesce(1, "a")')).to.equal('1');
    expect(value('coalesce(null, "", 1)')).to.equal('1');
    expect(value('coalesce([1], ["a"])')).to.deep.equal(['1']);
    expect(value('coalesce(1, 2)')).to.equal(1);
    expect(value('distinct([1, "1", 1])')).to.deep.equal(['1']);
    expect(value('distinct([1, 2, 1])')).to.deep.equal([1, 2]);
    expect(value('setunion(["b", "a"], [1])')).to.deep.equal(['1', 'a', 'b']);
    expect(value('setintersection([1, "1"], ["1"])')).to.deep.equal(['1']);
  });

  it('elements that have no one type in common are an error', () => {
    expect(failure('tolist([1, true])').detail).to.equal('Argument 1 (list): cannot convert tuple to list of any single type.');
    expect(failure('tolist([1, [2]])').detail).to.equal('Argument 1 (list): cannot convert tuple to list of any single type.');
    expect(failure('tomap({ a = 1, b = [1] })').detail).to.equal('Argument 1 (object): cannot convert object to map of any single type.');
    expect(failure('coalesce(1, true)').detail).to.equal('All arguments must have the same type.');
  });

  it('replace with an empty search string inserts the replacement between every character', () => {
    expect(value('replace("abc", "", "-")')).to.equal('-a-b-c-');
    expect(value('replace("é", "", "-")')).to.equal('-é-');
    expect(value('replace("", "", "-")')).to.equal('-');
  });

  it("formatdate: '' is a literal quote, inside quoted text and outside it", () => {
    expect(value(`formatdate("'quoted''s'", "2018-01-02T03:04:05Z")`)).to.equal("quoted's");
    expect(value(`formatdate("h' o''clock'", "2018-01-02T03:04:05Z")`)).to.equal("3 o'clock");
    expect(value(`formatdate("''", "2018-01-02T03:04:05Z")`)).to.equal("'");
  });

  it('one(null) is an error; alltrue and anytrue count a null element as false', () => {
    expect(failure('one(null)').detail).to.equal('Argument 1 (list): must not be null.');
    expect(value('one([null])')).to.equal(null);
    expect(value('alltrue([null])')).to.equal(false);
    expect(value('alltrue([true, null])')).to.equal(false);
    expect(value('anytrue([null])')).to.equal(false);
    expect(value('anytrue([null, true])')).to.equal(true);
  });

  it('regexall and replace skip an empty match right after a match, as Go does', () => {
    expect(value('regexall("a|", "aa")')).to.deep.equal(['a', 'a']);
    expect(value('regexall("b*", "abc")')).to.deep.equal(['', 'b', '']);
    expect(value('regexall("", "ab")')).to.deep.equal(['', '', '']);
    expect(value('replace("aaa", "/a*/", "b")')).to.equal('b');
    expect(value('replace("abc", "/b*/", "-")')).to.equal('-a-c-');
    expect(value('replace("ab", "/x*/", "-")')).to.equal('-a-b-');
    expect(value('replace("héllo", "/l*/", "-")')).to.equal('-h-é-o-');
  });

  it('range refuses a step that points away from the end', () => {
    expect(failure('range(1, 3, -1)').detail).to.equal('end must be less than start when step is negative.');
    expect(failure('range(3, 1, 1)').detail).to.equal('end must be greater than start when step is positive.');
    expect(value('range(1, 1, -1)')).to.deep.equal([]);
    expect(value('range(3, 1)')).to.deep.equal([3, 2]);
  });

  it('title uses title case, not upper case, as Go does', () => {
    expect(value('title("ǳ ǉ ǌ ǆ ŉ ﬀ ßa hello")')).to.equal('ǲ ǈ ǋ ǅ ŉ ﬀ ßa Hello');
  });

  it('cidrhost and cidrsubnet take host and network numbers beyond 2^53 exactly', () => {
    expect(value('cidrsubnet("::/0", 64, 18446744073709551615)')).to.equal('ffff:ffff:ffff:ffff::/64');
    expect(value('cidrhost("fd00::/64", 18446744073709551615)')).to.equal('fd00::ffff:ffff:ffff:ffff');
  });

  it('toset keeps its elements\' type, converted to one type, ordered as Terraform orders sets', () => {
    expect(value('toset(["b", "a", "b"])')).to.deep.equal(['a', 'b']);
    expect(value('toset([2, 1, 2])')).to.deep.equal([1, 2]);
    expect(value('toset([1, "a"])')).to.deep.equal(['1', 'a']);
    expect(value('toset([true, false, true])')).to.deep.equal([false, true]);
    expect(value('toset([[1], [1]])')).to.deep.equal([[1]]);
    expect(value('toset([null, "a"])')).to.deep.equal(['a', null]);
    expect(failure('toset([1, true])').detail).to.equal('Argument 1 (list): cannot convert tuple to set of any single type.');
  });

  it('trimspace trims what Go counts as space (U+0085 too, not U+FEFF)', () => {
    expect(value('trimspace("\\u0085\\u00a0\\u2003 x \\u2028\\u0085")')).to.equal('x');
    expect(value('trimspace("\\ufeffx")')).to.equal('\ufeffx');
  });
});
