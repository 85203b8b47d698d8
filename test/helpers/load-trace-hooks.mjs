// The loader hook behind load-trace.mjs (it runs on the loader's own thread).
import { appendFileSync } from 'node:fs';

export async function load(url, context, nextLoad) {
  if (process.env.FERRY_LOAD_TRACE) appendFileSync(process.env.FERRY_LOAD_TRACE, `${url}\n`);
  return nextLoad(url, context);
}
