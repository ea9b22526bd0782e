// The browser bundle itself (dist/kite-web.min.js, ESM, built by `npm run build`), loaded as a
// page would: zstd.wasm fetched over HTTP, the token method, a compressed message from kited.
// Node stands in for the browser; `ws` stands in for its WebSocket.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { join } from 'node:path';
import { after, test } from 'node:test';
import WebSocket from 'ws';
import { eventually, Kited } from './kited';
import { mintToken } from './token';

const dist = join(__dirname, '..', '..', 'dist');
const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** Serves zstd.wasm with the content type WebAssembly.instantiateStreaming wants. */
async function serveWasm(): Promise<string> {
  const wasm = readFileSync(join(dist, 'zstd.wasm'));
  const server: Server = createServer((_, response) => {
    response.writeHead(200, { 'Content-Type': 'application/wasm' });
    response.end(wasm);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/zstd.wasm`;
}

// tsc turns import() into require() under CommonJS; the bundle is ESM and must be imported.
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<any>;

test('the minified browser bundle connects with a token and decodes zstd', async () => {
  const tokenKey = randomBytes(32);
  const kited = new Kited({ settings: [`auth.token_key=${tokenKey.toString('hex')}`] });
  cleanups.push(() => kited.dispose());
  await kited.start();
  const bundle = join(kited.dataDir, 'kite-web.min.mjs');
  copyFileSync(join(dist, 'kite-web.min.js'), bundle);
  const { KiteClient } = await importEsm(`file://${bundle}`);

  const deviceId = 'web-bundle-1';
  const now = Math.floor(Date.now() / 1000);
  const token = mintToken(tokenKey, { deviceId, groups: [], issuedAtS: now, expiresAtS: now + 600 });
  const client = new KiteClient({ url: kited.url, deviceId, token, WebSocket, zstdWasmUrl: await serveWasm() });
  cleanups.push(() => client.stop());
  const received: string[] = [];
  client.on('message', (message: { text(): string }) => void received.push(message.text()));
  client.start();
  await eventually('the session to open', () => client.state === 'open');
  const big = 'the same telemetry line, over and over\n'.repeat(300);
  await kited.sendMessage(deviceId, big);
  await eventually('the message', () => received.length === 1);
  assert.equal(received[0], big);
  assert.equal(client.stats.compressedFrames, 1);
});
