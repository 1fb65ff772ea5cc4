/** The recording provider's two-instance blue-green configuration with a rollback window. */
import { BLUE_GREEN } from './configs.js';

/** BLUE_GREEN with `lifecycle blue_green { ... }` holding `settings` (keep_blue, bake, bake_interval). */
export function keepBlueConfig(settings: string): string {
  return BLUE_GREEN.replace('  lifecycle blue_green\n', `  lifecycle blue_green {\n${settings
    .split('\n')
    .map((l) => `    ${l.trim()}`)
    .join('\n')}\n  }\n`);
}
