import { fileURLToPath } from 'node:url';
import { goldenSuite } from '../evaluate/fixtures.js';

goldenSuite('configuration diagnostics (golden fixtures)', fileURLToPath(new URL('../fixtures/config/', import.meta.url)));
