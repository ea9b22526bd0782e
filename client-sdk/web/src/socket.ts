// The WebSocket the SDK needs: the browser's, Node 22's global one, or the `ws` package's class
// passed in by a Node 20 app (injected, so that the browser bundle never contains `ws`).

export interface KiteSocket {
  binaryType: string;
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => KiteSocket;

export const SUBPROTOCOL = 'kite.v1';
export const OPEN = 1;

/** The WebSocket class to use; null when there is none and `optional` (auto mode uses HTTP then). */
export function resolveWebSocket(injected: unknown, optional: boolean): WebSocketConstructor | null {
  const ctor = injected ?? (globalThis as { WebSocket?: unknown }).WebSocket;
  if (typeof ctor !== 'function') {
    if (optional) return null;
    throw new Error(
      'no WebSocket available: on Node 20 install `ws` and pass it, e.g. new KiteClient({ ..., WebSocket: require("ws") }), or use transport: "http"',
    );
  }
  return ctor as WebSocketConstructor;
}

/** Binary message payload as bytes; null for a text message, which the protocol refuses. */
export function messageBytes(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data)) {
    // `ws` may hand over fragments as a list of Buffers when binaryType is "fragments".
    const total = data.reduce((n: number, part: Uint8Array) => n + part.length, 0);
    const joined = new Uint8Array(total);
    let at = 0;
    for (const part of data as Uint8Array[]) {
      joined.set(part, at);
      at += part.length;
    }
    return joined;
  }
  return null;
}
