import { generateConfig } from './generate.js';
import { parseFile } from '../src/parser/index.js';
const text = generateConfig(10000);
console.log('bytes', text.length);
for (let i = 0; i < 4; i++) {
  const t = performance.now();
  const r = parseFile('main.infra', text);
  console.log('parse', (performance.now() - t).toFixed(0), r.diagnostics.length);
}
