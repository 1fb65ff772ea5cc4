import { readFileSync } from 'node:fs';
import { createTwoFilesPatch } from 'diff';
import { formatSource } from '/work/main/src/fmt/format.ts';
for (const f of process.argv.slice(2)) { const s = readFileSync(f, 'utf8'); console.log(createTwoFilesPatch(f, f, s, formatSource(f, s).output)); }
