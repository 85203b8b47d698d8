/**
 * A TCP proxy on 127.0.0.1 that forwards to a target port and, once a connection
 * has uploaded `holdAfterBytes`, stops forwarding it (without closing it) until
 * the test releases or cuts it: what the client sends meanwhile is kept (like a
 * stalled network's buffers), and the client closing still closes the other side.
 * It makes "mid-transfer" a state a test can wait for instead of a race against
 * a fast loopback.
 */
import { tcpProxy, type ProxyLink } from './tcp-proxy';

export interface GateProxy {
  port: number;
  /** Resolves when the first connection is held. */
  held: Promise<void>;
  /** Forward everything from now on (held connections continue where they stopped). */
  release(): void;
  /** Closes every held connection abruptly (a dropped network). */
  cutHeld(): void;
  close(): Promise<void>;
}

export async function gateProxy(targetPort: number, opts: { holdAfterBytes: number }): Promise<GateProxy> {
  let gating = true;
  let onHeld!: () => void;
  const held = new Promise<void>((resolve) => (onHeld = resolve));
  /** Held connections and what they sent since. */
  const holding = new Map<ProxyLink, Buffer[]>();
  const proxy = await tcpProxy(targetPort, (link) => {
    let seen = 0;
    link.client.on('data', (chunk: Buffer) => {
      const backlog = holding.get(link);
      if (backlog) return void backlog.push(chunk);
      if (gating && seen + chunk.byteLength > opts.holdAfterBytes) {
        const room = Math.max(0, opts.holdAfterBytes - seen);
        link.upstream.write(chunk.subarray(0, room));
        holding.set(link, [chunk.subarray(room)]);
        seen += chunk.byteLength;
        onHeld();
        return;
      }
      seen += chunk.byteLength;
      link.forward(chunk);
    });
    link.client.on('close', () => holding.delete(link));
  });
  return {
    port: proxy.port,
    held,
    release() {
      gating = false;
      for (const [link, backlog] of holding) {
        holding.delete(link);
        for (const chunk of backlog) link.upstream.write(chunk);
      }
    },
    cutHeld() {
      for (const link of holding.keys()) link.kill();
    },
    close: proxy.close,
  };
}
