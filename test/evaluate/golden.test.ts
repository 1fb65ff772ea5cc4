import { fileURLToPath } from 'node:url';
import { goldenSuite } from './fixtures.js';

goldenSuite('evaluation diagnostics (golden fixtures)', fileURLToPath(new URL('../fixtures/evaluate/', import.meta.url)));
