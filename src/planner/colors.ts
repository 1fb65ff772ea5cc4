/**
 * Colours of blue-green copies, as operators read them.
 */
import type { Value } from '../evaluate/value.js';

/** Colour of a blue-green copy: generations alternate blue, green, blue, ... */
export function colorOf(generation: number): 'blue' | 'green' {
  return generation % 2 === 1 ? 'blue' : 'green';
}

/** How a switch step names the copy traffic goes to: its address when known, else its colour. */
export function describeTarget(values: Readonly<Record<string, Value>> | null, color: string): string {
  const ip = values?.ipv4;
  return typeof ip === 'string' ? `${ip} (${color})` : `(${color})`;
}
