// Framing (docs/protocol.md section 2): 8-byte header, body, zero padding to 8 bytes.
import { KiteError, Reason } from './errors';

export const HEADER_SIZE = 8;
export const FLAG_COMPRESSED = 0x0001;
export const ABSOLUTE_MAX_BODY = 16 * 1024 * 1024;
export const HANDSHAKE_MAX_BODY = 8 * 1024;

export interface RawFrame {
  flags: number;
  dictionary: number;
  body: Uint8Array;
}

export function paddingFor(length: number): number {
  return (8 - (length % 8)) % 8;
}

/** Wraps an uncompressed body in a header and padding; the client never compresses (yet). */
export function encodeFrame(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + body.length + paddingFor(body.length));
  new DataView(out.buffer).setUint32(0, body.length, true);
  out.set(body, HEADER_SIZE);
  return out;
}

/**
 * Reassembles frames from a byte stream cut anywhere (WebSocket messages need not match frames).
 * The first error is final: the caller closes the connection.
 */
export class FrameReader {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  maxBody = HANDSHAKE_MAX_BODY;

  push(data: Uint8Array): RawFrame[] {
    this.chunks.push(data);
    this.buffered += data.length;
    const frames: RawFrame[] = [];
    for (;;) {
      const frame = this.next();
      if (!frame) return frames;
      frames.push(frame);
    }
  }

  /** True when the stream stopped inside a frame (TruncatedFrame on close). */
  get midFrame(): boolean {
    return this.buffered > 0;
  }

  private next(): RawFrame | null {
    if (this.buffered < HEADER_SIZE) return null;
    const header = new DataView(this.peek(HEADER_SIZE).buffer);
    const length = header.getUint32(0, true);
    const flags = header.getUint16(4, true);
    const dictionary = header.getUint16(6, true);
    // Checked on the header alone, in the order of section 2.2, before any body byte is kept.
    if (length > this.maxBody || length > ABSOLUTE_MAX_BODY) {
      throw new KiteError(Reason.FrameTooLarge, `frame body of ${length} bytes above ${this.maxBody}`);
    }
    if ((flags & ~FLAG_COMPRESSED) !== 0) throw new KiteError(Reason.BadFlags, `unknown flags ${flags}`);
    if (dictionary !== 0 && (flags & FLAG_COMPRESSED) === 0) {
      throw new KiteError(Reason.BadFlags, 'dictionary id without the compressed flag');
    }
    const total = HEADER_SIZE + length + paddingFor(length);
    if (this.buffered < total) return null;
    const frame = this.take(total);
    return { flags, dictionary, body: frame.subarray(HEADER_SIZE, HEADER_SIZE + length) };
  }

  private peek(count: number): Uint8Array {
    this.coalesce(count);
    return this.chunks[0].slice(0, count);
  }

  private take(count: number): Uint8Array {
    this.coalesce(count);
    const first = this.chunks[0];
    const taken = first.subarray(0, count);
    if (first.length === count) this.chunks.shift();
    else this.chunks[0] = first.subarray(count);
    this.buffered -= count;
    return taken;
  }

  /** Joins the leading chunks until the first holds at least `count` bytes. */
  private coalesce(count: number): void {
    if (this.chunks[0].length >= count) return;
    const joined = new Uint8Array(count);
    let filled = 0;
    while (filled < count) {
      const chunk = this.chunks[0];
      const used = Math.min(chunk.length, count - filled);
      joined.set(chunk.subarray(0, used), filled);
      filled += used;
      if (used === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(used);
    }
    this.chunks.unshift(joined);
  }
}
