#!/usr/bin/env node
import { main, tuneV8ForCommand } from '../dist/cli.js';

tuneV8ForCommand();
process.exitCode = await main(process.argv.slice(2));
