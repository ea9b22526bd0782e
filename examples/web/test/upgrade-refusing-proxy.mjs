// A proxy in front of kited's WebSocket port that passes plain HTTP requests (streaming the
// answers, so an event stream flows) and answers every WebSocket upgrade with 403, as some
// corporate proxies do. The same idea as upgradeRefusingProxy() in client-sdk/web/test/
// fallback.test.ts, in plain JS, and counting what it saw: the fallback scenario asserts from the
// network's side that the browser was refused a WebSocket and that its uplink went through as POSTs.
import { createServer, request } from 'node:http';

/**
 * Starts the proxy on a free 127.0.0.1 port in front of 127.0.0.1:`targetPort`; resolves to
 * {url(path), counts, close()}. counts: upgradesRefused, streams (GET {path}/sse answered 200),
 * postsPassed (POST {path}/sse/... answered 204 by kited), postsFailed (any other answer).
 */
export async function startUpgradeRefusingProxy(targetPort, path = '/kite') {
  const counts = { upgradesRefused: 0, streams: 0, postsPassed: 0, postsFailed: 0 };
  const sockets = new Set();
  const server = createServer((incoming, outgoing) => {
    const upstream = request(
      { host: '127.0.0.1', port: targetPort, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
        count(counts, path, incoming, answer.statusCode);
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on('error', () => outgoing.destroy());
    // The browser went away (or the scenario ended): do not leave kited's side of the stream open.
    outgoing.on('close', () => upstream.destroy());
    incoming.pipe(upstream);
  });
  server.on('upgrade', (_request, socket) => {
    counts.upgradesRefused += 1;
    socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  // Every socket, upgrade ones too (server.closeAllConnections() does not know those), so that
  // close() cannot hang on a connection Chromium keeps alive.
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    url: () => `ws://127.0.0.1:${port}${path}`,
    counts,
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(resolve);
    }),
  };
}

function count(counts, path, incoming, status) {
  const target = new URL(incoming.url, 'http://x').pathname;
  if (incoming.method === 'GET' && target === `${path}/sse` && status === 200) counts.streams += 1;
  if (incoming.method === 'POST' && target.startsWith(`${path}/sse/`)) {
    if (status === 204) counts.postsPassed += 1;
    else counts.postsFailed += 1;
  }
}
