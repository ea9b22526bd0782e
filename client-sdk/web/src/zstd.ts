// Bounded zstd decompression of frame bodies (docs/protocol.md section 3), with trained dictionaries.
// @bokuweb/zstd-wasm is the reference zstd compiled to WebAssembly: it takes zstd-format dictionaries
// (ZSTD_decompress_usingDict), which kited's frames need, since they carry no dictionary id themselves.
import * as zstd from '@bokuweb/zstd-wasm';
import { KiteError, Reason } from './errors';

const ZSTD_MAGIC = 0xfd2fb528;
const DICT_MAGIC = 0xec30a437;

let ready: Promise<void> | null = null;

/** Loads the WebAssembly module once; `wasmUrl` tells a browser where zstd.wasm is served. */
export function initZstd(wasmUrl?: string): Promise<void> {
  if (!ready) {
    const init = zstd.init as (path?: string) => Promise<void>;
    ready = init(wasmUrl).catch((err: unknown) => {
      ready = null;
      throw err;
    });
  }
  return ready;
}

/** The id a zstd-format dictionary declares in its header (what `kite dict info` prints). */
export function dictionaryId(dictionary: Uint8Array): number {
  const view = new DataView(dictionary.buffer, dictionary.byteOffset, dictionary.byteLength);
  if (dictionary.length < 8 || view.getUint32(0, true) !== DICT_MAGIC) {
    throw new Error('not a zstd-format dictionary (kite dict train writes them)');
  }
  const id = view.getUint32(4, true);
  if (id < 1 || id > 65535) throw new Error(`dictionary id ${id} outside 1..65535`);
  return id;
}

/** Reads the declared content size from a zstd frame header, or null when it is absent. */
export function frameContentSize(body: Uint8Array): number | null {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (body.length < 6 || view.getUint32(0, true) !== ZSTD_MAGIC) {
    throw new KiteError(Reason.DecompressionFailed, 'not a zstd frame');
  }
  const descriptor = body[4];
  const sizeFlag = descriptor >> 6;
  const singleSegment = (descriptor >> 5) & 1;
  const dictIdBytes = [0, 1, 2, 4][descriptor & 3];
  const sizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][sizeFlag];
  const at = 5 + (singleSegment ? 0 : 1) + dictIdBytes;
  if (sizeBytes === 0) return null;
  if (body.length < at + sizeBytes) throw new KiteError(Reason.DecompressionFailed, 'truncated zstd frame header');
  if (sizeBytes === 1) return body[at];
  if (sizeBytes === 2) return view.getUint16(at, true) + 256;
  if (sizeBytes === 4) return view.getUint32(at, true);
  const high = view.getUint32(at + 4, true);
  return high > 0 ? Number.MAX_SAFE_INTEGER : view.getUint32(at, true);
}

/**
 * Length of the zstd frame at the start of `body`, walking its block headers, so that a body
 * holding anything after its one frame (a second frame, trailing bytes) is refused (3.3 check 3).
 */
export function zstdFrameLength(body: Uint8Array): number {
  const descriptor = body[4];
  const singleSegment = (descriptor >> 5) & 1;
  const sizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][descriptor >> 6];
  let at = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][descriptor & 3] + sizeBytes;
  for (;;) {
    if (at + 3 > body.length) throw new KiteError(Reason.DecompressionFailed, 'truncated zstd block header');
    const header = body[at] | (body[at + 1] << 8) | (body[at + 2] << 16);
    const type = (header >> 1) & 3;
    if (type === 3) throw new KiteError(Reason.DecompressionFailed, 'reserved zstd block type');
    at += 3 + (type === 1 ? 1 : header >>> 3); // an RLE block stores one byte
    if (header & 1) break; // last block
  }
  return at + ((descriptor >> 2) & 1 ? 4 : 0); // content checksum
}

export class Decompressor {
  private readonly dictionaries = new Map<number, Uint8Array>();

  constructor(dictionaries: Uint8Array[] = []) {
    for (const dictionary of dictionaries) this.dictionaries.set(dictionaryId(dictionary), dictionary);
  }

  get dictionaryIds(): number[] {
    return [...this.dictionaries.keys()];
  }

  holds(id: number): boolean {
    return this.dictionaries.has(id);
  }

  /** The checks of section 3.3, in order; `max` is the receiver's current maximum body. */
  decompress(body: Uint8Array, dictionary: number, max: number): Uint8Array {
    const size = frameContentSize(body);
    if (size === null || size > max) {
      throw new KiteError(Reason.DecompressionBomb, `zstd content size ${size ?? 'absent'} above ${max}`);
    }
    if (zstdFrameLength(body) !== body.length) {
      throw new KiteError(Reason.DecompressionFailed, 'the body is not exactly one zstd frame');
    }
    const dict = dictionary === 0 ? undefined : this.dictionaries.get(dictionary);
    if (dictionary !== 0 && !dict) throw new KiteError(Reason.UnknownDictionary, `no dictionary ${dictionary}`);
    let plain: Uint8Array;
    try {
      plain = dict ? this.withDictionary(body, dict, size) : zstd.decompress(body, { defaultHeapSize: size });
    } catch (err) {
      throw new KiteError(Reason.DecompressionFailed, String(err));
    }
    if (plain.length !== size) {
      throw new KiteError(Reason.DecompressionFailed, `zstd produced ${plain.length} bytes, header said ${size}`);
    }
    return plain;
  }

  private withDictionary(body: Uint8Array, dict: Uint8Array, size: number): Uint8Array {
    const context = zstd.createDCtx();
    try {
      return zstd.decompressUsingDict(context, body, dict, { defaultHeapSize: size });
    } finally {
      zstd.freeDCtx(context);
    }
  }
}
