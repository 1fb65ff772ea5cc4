import { expect } from 'chai';
import { loadConfig } from '../../src/config/load.js';
import { parseConstraints, parseVersion, satisfies } from '../../src/config/version-constraint.js';
import { INFRA_VERSION } from '../../src/state/version.js';
import { removeTemp, tempConfig } from '../evaluate/support.js';

const check = (version: string, constraint: string): boolean => satisfies(parseVersion(version)!, parseConstraints(constraint)!);

describe('version constraints (Terraform syntax)', () => {
  it('each operator, and a list where all must hold', () => {
    expect(['=', '!=', '>', '>=', '<', '<='].map((op) => check('1.2.3', `${op} 1.2.3`))).to.deep.equal([true, false, false, true, false, true]);
    expect(check('1.2.3', '1.2.3')).to.equal(true);
    expect(check('1.2.0', '1.2')).to.equal(true);
    expect(check('0.1.0', '>= 0.1, < 2')).to.equal(true);
    expect(check('2.0.0', '>= 0.1, < 2')).to.equal(false);
    expect(check('1.5.0', '>=1.0,<=1.5,!=1.3.0')).to.equal(true);
    expect(check('1.3.0', '>=1.0,<=1.5,!=1.3.0')).to.equal(false);
  });

  it('~> lets only the last number written go up', () => {
    expect(['1.2.3', '1.2.9', '1.3.0', '1.2.2'].map((v) => check(v, '~> 1.2.3'))).to.deep.equal([true, true, false, false]);
    expect(['1.2.0', '1.9.0', '2.0.0', '1.1.0'].map((v) => check(v, '~> 1.2'))).to.deep.equal([true, true, false, false]);
    expect(['1.0.0', '1.9.9', '2.0.0'].map((v) => check(v, '~> 1'))).to.deep.equal([true, true, false]);
  });

  it('a prerelease matches only constraints on a prerelease of the same release', () => {
    expect(check('1.2.0-beta.2', '>= 1.0')).to.equal(false);
    expect(check('1.2.0-beta.2', '>= 1.2.0-beta.1')).to.equal(true);
    expect(check('1.2.0-beta.1', '>= 1.2.0-beta.2')).to.equal(false);
    expect(check('1.2.0', '> 1.2.0-beta.1')).to.equal(true);
  });

  it('rejects what go-version rejects', () => {
    for (const bad of ['', '>= a', '=> 1', '>= 1,', '~>', '1.2-']) expect(parseConstraints(bad), bad).to.equal(undefined);
  });
});

describe('infra { required_version }', () => {
  const load = (text: string) => {
    const dir = tempConfig({ 'main.infra': text });
    try {
      return loadConfig(dir, { cwd: dir }).diagnostics.map((d) => [d.summary, d.detail, d.range?.start.line, d.range?.start.column]);
    } finally {
      removeTemp(dir);
    }
  };

  it('is an error naming the running version when it does not match, at the argument', () => {
    expect(load(`infra {\n  required_version = ">= 0.1, < 0.1.0"\n}\n`)).to.deep.equal([
      [
        'Unsupported infra version',
        `This configuration does not support infra version ${INFRA_VERSION}. To proceed, either choose another supported infra version or update this version constraint. Version constraints are normally set for good reason, so updating the constraint may lead to other errors or unexpected behavior.`,
        2,
        3,
      ],
    ]);
  });

  it('passes when it matches; a bad constraint is an error at the string', () => {
    expect(load(`infra {\n  required_version = "= ${INFRA_VERSION}"\n}\n`)).to.deep.equal([]);
    expect(load(`infra {\n  required_version = "=> 1"\n}\n`)).to.deep.equal([['Invalid version constraint', 'This string does not use correct version constraint syntax.', 2, 22]]);
    expect(load(`infra {\n  required_version = ["1"]\n}\n`)).to.deep.equal([['Invalid value for "required_version"', 'It must be a string of version constraints, such as ">= 0.1, < 2".', 2, 22]]);
    expect(load(`infra {\n  required_versoin = "1"\n}\n`)).to.deep.equal([['Unsupported argument "required_versoin" in infra block', 'Did you mean "required_version"?', 2, 3]]);
  });
});
