#!/usr/bin/env node
import { main } from '../dist/compiler/cli.js';
await main();
