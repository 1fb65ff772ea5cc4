/**
 * The version of infra that is running, recorded in state files and lock files so that a person
 * looking at either can tell which build wrote it.
 */
import packageJson from '../../package.json' with { type: 'json' };

/** `version` from package.json. */
export const INFRA_VERSION: string = packageJson.version;
