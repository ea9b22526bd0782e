// HMAC-SHA256 challenge-response (docs/protocol.md 5.4) through WebCrypto, in browsers and Node.
import { KiteError, Reason } from './errors';

const encoder = new TextEncoder();

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new KiteError(Reason.Internal, 'WebCrypto (crypto.subtle) is not available: use a token or a secure context');
  return s;
}

export function hexToBytes(hex: string): Uint8Array {
  if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new Error('key must be an even-length hex string');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function randomBytes(count: number): Uint8Array {
  const out = new Uint8Array(count);
  globalThis.crypto.getRandomValues(out);
  return out;
}

export async function hmacSha256(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const cryptoKey = await subtle().importKey('raw', key as BufferSource, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle().sign('HMAC', cryptoKey, data as BufferSource));
}

/** label || u16 LE id length || id || u8 32 || client nonce || u8 32 || server nonce */
export function transcript(label: string, deviceId: string, clientNonce: Uint8Array, serverNonce: Uint8Array): Uint8Array {
  const labelBytes = encoder.encode(label);
  const id = encoder.encode(deviceId);
  const out = new Uint8Array(labelBytes.length + 2 + id.length + 1 + clientNonce.length + 1 + serverNonce.length);
  let at = 0;
  out.set(labelBytes, at);
  at += labelBytes.length;
  out[at++] = id.length & 0xff;
  out[at++] = id.length >> 8;
  out.set(id, at);
  at += id.length;
  out[at++] = clientNonce.length;
  out.set(clientNonce, at);
  at += clientNonce.length;
  out[at++] = serverNonce.length;
  out.set(serverNonce, at);
  return out;
}

export interface Proofs {
  client: Uint8Array;
  server: Uint8Array;
}

export async function computeProofs(key: Uint8Array, deviceId: string, clientNonce: Uint8Array, serverNonce: Uint8Array): Promise<Proofs> {
  const [client, server] = await Promise.all([
    hmacSha256(key, transcript('kite/1 client proof', deviceId, clientNonce, serverNonce)),
    hmacSha256(key, transcript('kite/1 server proof', deviceId, clientNonce, serverNonce)),
  ]);
  return { client, server };
}

/** Constant time, so a forged server proof learns nothing from timing. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
