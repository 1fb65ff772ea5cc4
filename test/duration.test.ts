import { expect } from 'chai';
import { formatDuration, formatDurationDecimal, parseDuration } from '../src/duration.js';

describe('durations (src/duration.ts)', () => {
  it('parses the forms configurations and flags use, Go-style sequences too', () => {
    expect(['500ms', '30s', '1.5s', '2m', '1h', '10m', '1h30m', '250ms'].map(parseDuration)).to.deep.equal([500, 30_000, 1500, 120_000, 3_600_000, 600_000, 5_400_000, 250]);
    expect(['soon', '10', 'ten minutes', ''].map(parseDuration)).to.deep.equal([null, null, null, null]);
  });

  it("prints a duration the way it is written, to the second (Linode's timeouts and progress lines)", () => {
    expect([400, 12_000, 65_000, 600_000, 5_400_000].map(formatDuration)).to.deep.equal(['400ms', '12s', '1m5s', '10m', '1h30m']);
  });

  it('prints a duration in one unit with decimals (dns_check latencies and timeouts)', () => {
    expect([500, 2000, 1500, 2004, 120_000, 12_345].map(formatDurationDecimal)).to.deep.equal(['500ms', '2s', '1.5s', '2s', '2m', '12.3s']);
  });
});
