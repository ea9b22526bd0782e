// Offline checks against the protocol document's own vectors and examples.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { Backoff } from '../src/backoff';
import { decodeBody, encodePublish } from '../src/codec';
import { bytesToHex, computeProofs, hmacSha256 } from '../src/crypto';
import { KiteError, Reason } from '../src/errors';
import { FrameReader } from '../src/frame';
import { tunnelUrl } from '../src/http-tunnel';
import { ReceiveWindow } from '../src/receive-window';
import { Decompressor, initZstd } from '../src/zstd';
import { mintToken } from './token';

const range = (from: number, count: number) => Uint8Array.from({ length: count }, (_, i) => from + i);

test('HMAC handshake test vector (protocol.md 5.4)', async () => {
  const deviceKey = await hmacSha256(new Uint8Array(32).fill(1), new TextEncoder().encode('thermo-42'));
  assert.equal(bytesToHex(deviceKey), '44b19477a874b0c5eb5d44206da5997f1390dce4069b0e4316b9d78da32fffd5');
  const proofs = await computeProofs(deviceKey, 'thermo-42', range(0, 32), range(0x80, 32));
  assert.equal(bytesToHex(proofs.client), '85e654d36938af3f44174e0db80b318896f483a76664ac53129584956b7c4035');
  assert.equal(bytesToHex(proofs.server), '4f0384da6be8714bac47081b44a2416a918ba5a4df6010e3fa039c153eb4fba1');
});

const WIRE_EXAMPLE = `
58 00 00 00 00 00 00 00  10 00 00 00 00 00 00 00  08 00 0e 00 07 00 08 00  08 00 00 00 00 00 00 05
18 00 00 00 00 00 12 00  18 00 10 00 07 00 00 00  08 00 00 00 00 00 0c 00  12 00 00 00 00 00 00 01
18 00 00 00 0c 00 00 00  01 00 00 00 00 00 00 00  02 00 00 00 68 69 00 00  01 00 00 00 74 00 00 00`;
const wireExample = Uint8Array.from(WIRE_EXAMPLE.trim().split(/\s+/), (h) => parseInt(h, 16));

test('a Publish is encoded byte for byte as the wire example (protocol.md 9)', () => {
  const frame = encodePublish({ seq: 1n, qos: 1, topic: 't', payload: new TextEncoder().encode('hi') });
  assert.equal(bytesToHex(frame), bytesToHex(wireExample));
});

test('frames are reassembled from a stream cut at every byte', () => {
  const reader = new FrameReader();
  const stream = new Uint8Array([...wireExample, ...wireExample]);
  const frames = [];
  for (const byte of stream) frames.push(...reader.push(Uint8Array.of(byte)));
  assert.equal(frames.length, 2);
  assert.equal(reader.midFrame, false);
  const decoded = decodeBody(frames[1].body);
  assert.equal(decoded.type, 'publish');
  if (decoded.type !== 'publish') return;
  assert.equal(decoded.publish.seq, 1n);
  assert.equal(decoded.publish.qos, 1);
  assert.equal(decoded.publish.topic, 't');
  assert.equal(new TextDecoder().decode(decoded.publish.payload), 'hi');
});

test('headers are checked before the body arrives', () => {
  const header = (length: number, flags: number, dictionary: number) => {
    const bytes = new Uint8Array(8);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, length, true);
    view.setUint16(4, flags, true);
    view.setUint16(6, dictionary, true);
    return bytes;
  };
  const reasonOf = (bytes: Uint8Array) => {
    try {
      new FrameReader().push(bytes);
      return Reason.None;
    } catch (err) {
      return (err as KiteError).reason;
    }
  };
  assert.equal(reasonOf(header(9000, 0, 0)), Reason.FrameTooLarge); // above the 8 KiB handshake limit
  assert.equal(reasonOf(header(16, 2, 0)), Reason.BadFlags);
  assert.equal(reasonOf(header(16, 0, 7)), Reason.BadFlags);
  assert.equal(reasonOf(header(16, 1, 7)), Reason.None); // waits for the body
});

test('full-jitter back-off stays within its doubling window and honours the hint', () => {
  const highest = new Backoff(100, 1000, () => 0.999999);
  assert.deepEqual([1, 2, 3, 4, 5].map(() => highest.next()), [100, 200, 400, 800, 1000]);
  const lowest = new Backoff(100, 1000, () => 0);
  assert.equal(lowest.next(), 0);
  assert.equal(lowest.next(750), 750);
});

test('credit is refilled once half the window is processed, with the ack riding along', () => {
  const window = new ReceiveWindow({ window: 8, ackEvery: 16, ackDelayMs: 20 }, 0n);
  for (let seq = 1n; seq <= 4n; seq++) assert.equal(window.onPublish(seq, 0), 'deliver');
  window.onProcessed(3n, 0);
  assert.deepEqual(window.takeDue(0), {}); // 3 < 4: nothing yet, the ack waits for its delay
  window.onProcessed(4n, 1);
  assert.deepEqual(window.takeDue(1), { ack: 4n, credit: 4 });
  assert.equal(window.onPublish(2n, 2), 'duplicate');
  assert.deepEqual(window.takeDue(30), { ack: 4n }); // a duplicate is acked again
});

test('tokens are signed as protocol.md 5.5 says (the documented example verifies)', () => {
  const example =
    'kite1.FAAAAAAAAAAMACAABAAIAAwAFAAMAAAAMAAAABgAAAAA8VNlAAAAAIBCVWUAAAAAAAAAAAEAAAAEAAAABwAAAGZsZWV0LWEACQAAAHRoZXJtby00MgAAAA.X66976Al-AndTLnUlqviaKsJbY6eNysl3AzNNm4MkWQ';
  const signed = example.slice(0, example.lastIndexOf('.'));
  const mac = createHmac('sha256', 'example signing key').update(signed).digest('base64url');
  assert.equal(`${signed}.${mac}`, example);
  const minted = mintToken(Buffer.from('example signing key'), {
    deviceId: 'thermo-42', groups: ['fleet-a'], issuedAtS: 1700000000, expiresAtS: 1700086400,
  });
  const mintedSigned = minted.slice(0, minted.lastIndexOf('.'));
  assert.equal(minted, `${mintedSigned}.${createHmac('sha256', 'example signing key').update(mintedSigned).digest('base64url')}`);
});

test('a compressed body must be exactly one zstd frame of the declared size', async () => {
  await initZstd();
  const { compress } = await import('@bokuweb/zstd-wasm');
  const plain = new TextEncoder().encode('kite '.repeat(200));
  const frame = compress(plain, 3);
  const decompressor = new Decompressor();
  assert.deepEqual(decompressor.decompress(frame, 0, 65536), plain);
  const reasonOf = (body: Uint8Array, max = 65536) => {
    try {
      decompressor.decompress(body, 0, max);
      return Reason.None;
    } catch (err) {
      return (err as KiteError).reason;
    }
  };
  assert.equal(reasonOf(new Uint8Array([...frame, ...frame])), Reason.DecompressionFailed); // two frames
  assert.equal(reasonOf(new Uint8Array([...frame, 0])), Reason.DecompressionFailed); // a trailing byte
  assert.equal(reasonOf(frame, 100), Reason.DecompressionBomb); // declared size above the maximum
  assert.equal(reasonOf(frame.subarray(0, frame.length - 1)), Reason.DecompressionFailed);
  assert.throws(() => decompressor.decompress(frame, 7, 65536), (err: KiteError) => err.reason === Reason.UnknownDictionary);
});

test("the HTTP fallback's stream sits under the WebSocket URL's path, on http(s)", () => {
  assert.equal(tunnelUrl('ws://127.0.0.1:8080/kite'), 'http://127.0.0.1:8080/kite/sse');
  assert.equal(tunnelUrl('wss://push.example.com/'), 'https://push.example.com/sse');
  assert.equal(tunnelUrl('wss://push.example.com/a/kite?x=1'), 'https://push.example.com/a/kite/sse?x=1');
});
