// The HTTP fallback (docs/protocol.md 1.2) for networks where a WebSocket cannot pass, behind the
// same small interface as a WebSocket (socket.ts) so that Link runs over it unchanged. Built on
// fetch() alone, so it works in browsers and in Node 18+ without `ws`. Two ways down:
//
//   SseTunnel:  GET {path}/sse, an event stream: `event: tunnel` names the tunnel, then each
//               `data:` event is base64 of the server's bytes, and `event: close` carries its
//               Kite reason at the end
//   PollTunnel: GET {path}/poll names a tunnel; then GET {path}/poll/{tunnel}?from={n}, one at a
//               time, answers the server's bytes from offset n on (for proxies that hold a
//               response back until it is complete, where no event stream arrives)
//
// and one way up for both: POST {path}/{sse|poll}/{tunnel}?at={offset}, the raw bytes.
//
// Rules they keep:
//  - the uplink is one byte stream: bytes leave in order, one POST at a time, each saying where
//    its first byte sits, and a POST that failed on the network is sent again with the same bytes
//    at the same offset (kited skips what it already has): nothing is lost, doubled or reordered;
//  - a poll says how much of the downlink arrived, and one whose answer was lost is sent again
//    from the same offset: kited keeps the bytes until a poll moves past them;
//  - no request has a Content-Type a browser would preflight;
//  - they end like a WebSocket: onclose with 4000 + the Kite reason the stream named, or 1006.
import { KiteSocket } from './socket';

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;
/** kited takes at most 64 KiB in one POST (docs/limits.md). */
const MAX_POST = 64 * 1024;
/** A POST that failed on the network is retried this many times before the tunnel gives up. */
const POST_ATTEMPTS = 4;

/** Where a tunnel of `kind` opens, for a WebSocket URL: ws://h/kite -> http://h/kite/sse. */
export function tunnelUrl(webSocketUrl: string, kind: 'sse' | 'poll' = 'sse'): string {
  const url = new URL(webSocketUrl);
  if (url.protocol === 'ws:') url.protocol = 'http:';
  else if (url.protocol === 'wss:') url.protocol = 'https:';
  url.pathname = url.pathname.endsWith('/') ? `${url.pathname}${kind}` : `${url.pathname}/${kind}`;
  return url.toString();
}

/** The URL of a tunnel's resource: {base}/{tunnel}?{name}={value}. */
function tunnelResource(base: string, tunnel: string, name: string, value: number): string {
  const url = new URL(base);
  url.pathname += `/${tunnel}`;
  url.searchParams.set(name, String(value));
  return url.toString();
}

/** What both tunnels share: the KiteSocket surface, the uplink and the end. */
abstract class HttpTunnel implements KiteSocket {
  binaryType = 'arraybuffer';
  readyState = CONNECTING;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  protected readonly abort = new AbortController();
  protected tunnel = '';
  /** Uplink bytes not yet confirmed by kited, oldest first; the first may be in flight. */
  private pending: Uint8Array[] = [];
  private uplinkOffset = 0;
  private posting = false;

  constructor(protected readonly baseUrl: string) {
    // After the subclass's constructor: run() reads its fields.
    queueMicrotask(() => this.run().catch((err) => this.end(1006, `HTTP fallback failed: ${describe(err)}`)));
  }

  /** Opens the tunnel and reads the downlink until it ends. */
  protected abstract run(): Promise<void>;

  /** The tunnel is named: the session may speak. */
  protected opened(tunnel: string): void {
    if (this.readyState === CLOSED) return;
    this.tunnel = tunnel;
    this.readyState = OPEN;
    this.onopen?.({});
  }

  protected deliver(bytes: Uint8Array): void {
    if (this.readyState !== OPEN || bytes.length === 0) return;
    this.onmessage?.({ data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
  }

  send(data: Uint8Array): void {
    if (this.readyState !== OPEN) return;
    this.pending.push(data.slice());
    void this.postPending();
  }

  close(code = 1000, reason = ''): void {
    this.end(code, reason);
  }

  /** Sends what is pending, one POST at a time, until nothing is or the tunnel ended. */
  private async postPending(): Promise<void> {
    if (this.posting) return;
    this.posting = true;
    try {
      while (this.pending.length > 0 && this.readyState === OPEN) {
        const body = this.nextBody();
        await this.post(body);
        this.uplinkOffset += body.length;
        this.dropConfirmed(body.length);
      }
    } catch (err) {
      this.end(1006, `HTTP fallback uplink failed: ${describe(err)}`);
    } finally {
      this.posting = false;
    }
  }

  /** Up to 64 KiB of the pending bytes, oldest first, in one buffer of its own (posted whole). */
  private nextBody(): Uint8Array {
    let size = 0;
    for (const part of this.pending) size = Math.min(MAX_POST, size + part.length);
    const body = new Uint8Array(size);
    let at = 0;
    for (const part of this.pending) {
      if (at === size) break;
      const take = part.subarray(0, size - at);
      body.set(take, at);
      at += take.length;
    }
    return body;
  }

  private dropConfirmed(count: number): void {
    while (count > 0) {
      const first = this.pending[0];
      if (first.length <= count) {
        count -= first.length;
        this.pending.shift();
      } else {
        this.pending[0] = first.subarray(count);
        count = 0;
      }
    }
  }

  /** One POST, sent again at the same offset while the network fails it; throws when kited refuses. */
  private async post(body: Uint8Array): Promise<void> {
    const url = tunnelResource(this.baseUrl, this.tunnel, 'at', this.uplinkOffset);
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(url, { method: 'POST', body: body.buffer as ArrayBuffer, cache: 'no-store', signal: this.abort.signal });
      } catch (err) {
        if (attempt >= POST_ATTEMPTS || this.readyState !== OPEN) throw err;
        await sleep(250 * attempt);
        continue;
      }
      if (response.status === 204) return;
      if (response.status === 429) {
        await sleep(1000 * (Number(response.headers.get('Retry-After')) || 1));
        continue;
      }
      throw new Error(`${response.status} ${await problemDetail(response)}`);
    }
  }

  protected end(code: number, reason: string): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    this.abort.abort();
    this.pending = [];
    this.onclose?.({ code, reason });
  }
}

/** The downlink as an event stream. */
export class SseTunnel extends HttpTunnel {
  /** The Kite reason of the stream's close event, once it came. */
  private closeReason: number | null = null;

  constructor(url: string, _protocols?: string | string[]) {
    super(tunnelUrl(url, 'sse'));
  }

  protected async run(): Promise<void> {
    const response = await fetch(this.baseUrl, {
      signal: this.abort.signal,
      cache: 'no-store',
      headers: { Accept: 'text/event-stream' },
    });
    if (!response.ok || !response.body) {
      return this.end(1006, `HTTP fallback refused: ${response.status} ${await problemDetail(response)}`);
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = text.indexOf('\n\n')) >= 0) {
        this.onEvent(text.slice(0, end));
        text = text.slice(end + 2);
      }
    }
    const code = this.closeReason === null ? 1006 : this.closeReason === 0 ? 1000 : 4000 + this.closeReason;
    this.end(code, this.closeReason === null ? 'HTTP fallback stream ended' : '');
  }

  private onEvent(block: string): void {
    let event = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data += line.slice(5).trim();
    }
    if (this.readyState === CLOSED) return;
    if (event === 'tunnel') this.opened(data);
    else if (event === 'close') this.closeReason = Number.parseInt(data, 10) || 0;
    else if (event === 'message' && data) this.deliver(fromBase64(data));
  }
}

/** The downlink by long-polling: one poll at a time, each from the offset reached. */
export class PollTunnel extends HttpTunnel {
  private received = 0;

  constructor(url: string, _protocols?: string | string[]) {
    super(tunnelUrl(url, 'poll'));
  }

  protected async run(): Promise<void> {
    const opened = await fetch(this.baseUrl, { signal: this.abort.signal, cache: 'no-store' });
    if (!opened.ok) {
      return this.end(1006, `HTTP fallback refused: ${opened.status} ${await problemDetail(opened)}`);
    }
    this.opened((await opened.text()).trim());
    for (let failures = 0; this.readyState === OPEN; ) {
      let response: Response;
      try {
        const url = tunnelResource(this.baseUrl, this.tunnel, 'from', this.received);
        response = await fetch(url, { signal: this.abort.signal, cache: 'no-store' });
      } catch (err) {
        // A poll lost on the network is sent again from the same offset: kited kept the bytes.
        if (++failures >= POST_ATTEMPTS || this.readyState !== OPEN) throw err;
        await sleep(250 * failures);
        continue;
      }
      failures = 0;
      if (response.status === 410) return this.end(1006, 'HTTP fallback tunnel ended');
      if (!response.ok) {
        return this.end(1006, `HTTP fallback poll refused: ${response.status} ${await problemDetail(response)}`);
      }
      const bytes = new Uint8Array(await response.arrayBuffer());
      this.received += bytes.length;
      this.deliver(bytes);
    }
  }
}

async function problemDetail(response: Response): Promise<string> {
  try {
    const problem = (await response.json()) as { detail?: string };
    return problem.detail ?? '';
  } catch {
    return '';
  }
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
