// `node --import ./load-trace.mjs …` with FERRY_LOAD_TRACE=<file>: every module the process
// loads through the ES module loader (its URL, one a line) is appended to that file.
// Proves which code a command loads, without timing anything.
import { register } from 'node:module';

register('./load-trace-hooks.mjs', import.meta.url);
