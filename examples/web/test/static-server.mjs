// Serves the example page to the browser, as a web server would in production: examples/web's
// index.html and dashboard.js, and the SDK bundle (kite-web.min.js, zstd.wasm) from
// client-sdk/web/dist beside them. Only these files: a fixed table, so no path can climb out.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const exampleDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SDK_DIST = process.env.KITE_WEB_DIST ?? join(exampleDir, '..', '..', 'client-sdk', 'web', 'dist');

const FILES = {
  '/index.html': [join(exampleDir, 'index.html'), 'text/html; charset=utf-8'],
  '/dashboard.js': [join(exampleDir, 'dashboard.js'), 'text/javascript; charset=utf-8'],
  '/kite-web.min.js': [join(SDK_DIST, 'kite-web.min.js'), 'text/javascript; charset=utf-8'],
  // WebAssembly.instantiateStreaming wants exactly this type.
  '/zstd.wasm': [join(SDK_DIST, 'zstd.wasm'), 'application/wasm'],
};

/** Starts the server on a free 127.0.0.1 port; resolves to {origin, close()}. */
export async function startStaticServer() {
  const server = createServer(async (request, response) => {
    const path = new URL(request.url, 'http://x').pathname;
    const entry = FILES[path === '/' ? '/index.html' : path];
    if (!entry || request.method !== 'GET') {
      response.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(entry[0]);
      response.writeHead(200, { 'Content-Type': entry[1], 'Cache-Control': 'no-store' }).end(body);
    } catch (err) {
      response.writeHead(500).end(String(err));
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(resolve);
    }),
  };
}
