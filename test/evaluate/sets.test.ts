/**
 * Set values as Terraform 1.11 has them: `==` tells a set from a list or tuple, the set functions
 * return sets (which cannot be indexed), and `setproduct` returns a set when a set is given.
 * Each expected value was checked with `terraform console`.
 */
import { expect } from 'chai';
import { typeJsonOf, withSetMarks } from '../../src/evaluate/type-json.js';
import { isSetValue, markSet, type Value } from '../../src/evaluate/value.js';
import { renderValue } from '../../src/render/value.js';
import { failure, value } from './helpers.js';

const SET_INDEX =
  "Elements of a set are identified only by their value and don't have any separate index or key to select with, so it's only possible to perform operations across all elements of the set.";

describe('sets', () => {
  it('== and != tell a set from a tuple or list: a set equals only a set with the same elements', () => {
    expect(value('toset(["a"]) == ["a"]')).to.equal(false);
    expect(value('toset(["a"]) != ["a"]')).to.equal(true);
    expect(value('toset(["a"]) == tolist(["a"])')).to.equal(false);
    expect(value('toset([]) == []')).to.equal(false);
    expect(value('toset(["a"]) == null')).to.equal(false);
    expect(value('[toset(["a"])] == [["a"]]')).to.equal(false);
    expect(value('toset(["a"]) == toset(["a"])')).to.equal(true);
    expect(value('toset(["a", "b"]) == toset(["b", "a"])')).to.equal(true);
    expect(value('{ x = toset(["a"]) } == { x = toset(["a"]) }')).to.equal(true);
    // Sets of objects keep first-seen order here; equality does not depend on it.
    expect(value('toset([{ a = 1 }, { a = 2 }]) == toset([{ a = 2 }, { a = 1 }])')).to.equal(true);
    expect(value('toset([{ a = 1 }, { a = 2 }]) != toset([{ a = 2 }, { a = 3 }])')).to.equal(true);
    expect(value('["a"] == ["a"]')).to.equal(true);
    expect(value('1 == "1"')).to.equal(false);
  });

  it('setunion, setintersection and setsubtract return sets, in the order Terraform orders sets', () => {
    const union = value('setunion(["b", "a"], ["c"])');
    expect(union).to.deep.equal(['a', 'b', 'c']);
    expect(isSetValue(union)).to.equal(true);
    expect(value('setunion([3, 1], [2])')).to.deep.equal([1, 2, 3]);
    expect(value('setunion([true], [false])')).to.deep.equal([false, true]);
    expect(value('setunion([{ a = 1 }], [{ a = 1 }])')).to.deep.equal([{ a: 1 }]);
    expect(value('setunion(["a"])')).to.deep.equal(['a']);
    const both = value('setintersection(["a", "b"], ["b"])');
    expect(both).to.deep.equal(['b']);
    expect(isSetValue(both)).to.equal(true);
    expect(value('setintersection([1, 2], ["2"])')).to.deep.equal(['2']);
    expect(value('setintersection(["a"], ["b"])')).to.deep.equal([]);
    const rest = value('setsubtract(["a", "b", "c"], ["b"])');
    expect(rest).to.deep.equal(['a', 'c']);
    expect(isSetValue(rest)).to.equal(true);
    expect(value('setsubtract([1, 2], ["2"])')).to.deep.equal(['1']);
    expect(value('setsubtract(["a"], [1])')).to.deep.equal(['a']);
    expect(value('setunion(toset(["a"]), ["b"]) == toset(["a", "b"])')).to.equal(true);
    expect(value('setunion(["a"], ["b"]) == ["a", "b"]')).to.equal(false);
  });

  it('setproduct: every combination, a set when any argument is a set, else a list', () => {
    const product = value('setproduct(["a", "b"], ["x"])');
    expect(product).to.deep.equal([['a', 'x'], ['b', 'x']]);
    expect(isSetValue(product)).to.equal(false);
    expect(value('setproduct(["a"], [1], [true])')).to.deep.equal([['a', 1, true]]);
    expect(value('setproduct(["a", 1], ["x"])')).to.deep.equal([['a', 'x'], ['1', 'x']]);
    expect(value('setproduct(["a"], [])')).to.deep.equal([]);
    const ofSets = value('setproduct(toset(["b", "a"]), ["x"])');
    expect(ofSets).to.deep.equal([['a', 'x'], ['b', 'x']]);
    expect(isSetValue(ofSets)).to.equal(true);
    expect(isSetValue(value('setproduct(toset([]), ["a"])'))).to.equal(true);
  });

  it('indexing a set made by a set function is an error, as for other sets', () => {
    for (const source of ['setunion(["a"], ["b"])[0]', 'setsubtract(["a", "b"], ["b"])[0]', 'setintersection(["a"], ["a"])[0]', 'setproduct(toset(["a"]), ["x"])[0]']) {
      const d = failure(source);
      expect([d.summary, d.detail], source).to.deep.equal(['Invalid index', SET_INDEX]);
    }
  });

  it('set functions reject what Terraform rejects, with its words', () => {
    expect(failure('setproduct(["a"])').detail).to.equal('at least two arguments are required.');
    expect(failure('setunion(["a"], [[1]])').detail).to.equal('given sets must all have compatible element types.');
    expect(failure('setsubtract(["a"], [[1]])').detail).to.equal('given sets must all have compatible element types.');
    expect(failure('setintersection(["a"], [[1]])').detail).to.equal('given sets must all have compatible element types.');
    expect(failure('setunion([1, true])').detail).to.equal('Invalid value for "first_set" parameter: all set elements must have the same type.');
    expect(failure('setintersection(["a"], [1, true])').detail).to.equal('Invalid value for "other_sets" parameter: all set elements must have the same type.');
    expect(failure('setsubtract(["a"], [1, true])').detail).to.equal('Invalid value for "b" parameter: all set elements must have the same type.');
    expect(failure('setproduct([1, true], ["x"])').detail).to.equal('Invalid value for "sets" parameter: all elements must be of the same type.');
  });

  it('typeJsonOf writes a value\'s type as terraform output -json does; withSetMarks reads it back for rendering', () => {
    expect(typeJsonOf(value('toset(["b", "a"])'))).to.deep.equal(['set', 'string']);
    expect(typeJsonOf(value('toset([])'))).to.deep.equal(['set', 'dynamic']);
    expect(typeJsonOf(value('toset([null, 1])'))).to.deep.equal(['set', 'number']);
    expect(typeJsonOf(value('["a", 1, true, null]'))).to.deep.equal(['tuple', ['string', 'number', 'bool', 'dynamic']]);
    expect(typeJsonOf(value('{ a = toset([{ x = 1 }]) }'))).to.deep.equal(['object', { a: ['set', ['object', { x: 'number' }]] }]);
    const marked = withSetMarks({ l: [['c']], m: { a: ['x'] } }, ['object', { l: ['list', ['set', 'string']], m: ['map', ['set', 'string']] }]);
    expect(renderValue(marked, '')).to.equal('{\n  l = [\n    toset(["c"]),\n  ]\n  m = {\n    a = toset(["x"])\n  }\n}');
    // A map's elements all take the map's element type.
    expect(renderValue(withSetMarks({ k: ['x'] }, ['map', ['set', 'string']]), '')).to.equal('{\n  k = toset(["x"])\n}');
    // No type, or one this build does not read, leaves the value as it is.
    expect(renderValue(withSetMarks(['a'], undefined), '')).to.equal('["a"]');
    expect(renderValue(withSetMarks(['a'], ['set']), '')).to.equal('["a"]');
    expect(renderValue(markSet([]) as Value, '')).to.equal('toset([])');
  });
});
