/**
 * A TCP proxy on 127.0.0.1 that forwards to a target port and cuts connections
 * after a random number of bytes (TLS records and all), to prove resume.
 */
import { tcpProxy } from './tcp-proxy';

export interface CuttingProxy {
  port: number;
  /** How many connections it cut. */
  cuts: () => number;
  /** Bytes forwarded client → target, all connections together. */
  forwarded: () => number;
  /** Stop cutting (let the transfer finish). */
  stopCutting(): void;
  close(): Promise<void>;
}

/**
 * Connections that carry fewer than `minBytes` (the control link) are never cut;
 * the others are cut at a random byte offset in [minBytes, maxBytes] of their upload.
 */
export async function cuttingProxy(
  targetPort: number,
  opts: { minBytes: number; maxBytes: number; maxCuts: number },
): Promise<CuttingProxy> {
  let cuts = 0;
  let forwarded = 0;
  let cutting = true;
  const proxy = await tcpProxy(targetPort, ({ client, upstream, kill, forward }) => {
    const cutAt = opts.minBytes + Math.floor(Math.random() * (opts.maxBytes - opts.minBytes));
    let seen = 0;
    client.on('data', (chunk: Buffer) => {
      if (cutting && cuts < opts.maxCuts && seen + chunk.byteLength > cutAt) {
        // Forward up to the cut point exactly, then drop both sides mid-record.
        const head = chunk.subarray(0, cutAt - seen);
        forwarded += head.byteLength;
        cuts++;
        upstream.write(head, kill);
        seen = cutAt;
        client.pause();
        return;
      }
      seen += chunk.byteLength;
      forwarded += chunk.byteLength;
      forward(chunk);
    });
  });
  return {
    port: proxy.port,
    cuts: () => cuts,
    forwarded: () => forwarded,
    stopCutting: () => (cutting = false),
    close: proxy.close,
  };
}
