// The HTTP fallback (docs/protocol.md 1.2) against a real kited: the same session over an event
// stream or long-polling down and POSTs up, chosen by hand, or by auto mode when a proxy refuses
// WebSocket upgrades (and holds answers back). kited runs 2 workers, so a tunnel's POSTs land on the other worker about half the time.
import assert from 'node:assert/strict';
import { createServer, request, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { KiteClient, KiteClientOptions, Transport } from '../src';
import { eventually, Kited, sleep } from './kited';

let kited: Kited;
const cleanups: (() => unknown)[] = [];

before(async () => {
  kited = new Kited({ workers: 2, settings: ['server.drain_reconnect_spread_ms=300'] });
  await kited.start();
});

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await kited.dispose();
});

function connect(deviceId: string, extra: Partial<KiteClientOptions>): KiteClient {
  const client = new KiteClient({
    url: kited.url, deviceId, key: kited.deviceKey(deviceId), backoffInitialMs: 100, backoffMaxMs: 500, ...extra,
  });
  cleanups.push(() => client.stop());
  client.start();
  return client;
}

/** Text in which a byte lost, doubled or moved shows: a counter, written out. */
function patterned(size: number): string {
  let text = '';
  for (let i = 0; text.length < size; i++) text += `${i},`;
  return text.slice(0, size);
}

function collect(client: KiteClient): string[] {
  const received: string[] = [];
  client.on('message', (message) => void received.push(message.text()));
  return received;
}

/**
 * An HTTP proxy in front of kited's WebSocket port that passes requests and refuses upgrades, as
 * some corporate proxies do; `buffering`: it also holds each answer back until it is complete, as
 * others do, so that no event stream gets through.
 */
async function upgradeRefusingProxy(targetPort: number, buffering = false): Promise<{ url: string; server: Server }> {
  const server = createServer((incoming, outgoing) => {
    const upstream = request(
      { host: '127.0.0.1', port: targetPort, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
        if (!buffering) {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          outgoing.end(Buffer.concat(chunks));
        });
      },
    );
    upstream.on('error', () => outgoing.destroy());
    outgoing.on('close', () => upstream.destroy());
    incoming.pipe(upstream);
  });
  server.on('upgrade', (_request, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  server.on('connection', (socket) => cleanups.push(() => socket.destroy()));
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/kite`, server };
}

for (const transport of ['sse', 'poll'] as const) {
test(`over the HTTP fallback (${transport}): messages in order, a command, a large uplink`, async () => {
  const deviceId = `fallback-1-${transport}`;
  const client = connect(deviceId, { transport });
  const received = collect(client);
  client.on('command', (command) => ({ status: 0, payload: `pong:${command.text()}` }));
  await eventually('the session to open', () => client.state === 'open');

  for (let i = 1; i <= 20; i++) await kited.sendMessage(deviceId, `m${i}`);
  const big = patterned(100 * 1024);
  await kited.sendMessage(deviceId, big);
  await eventually('every message', () => received.length >= 21);
  await sleep(200); // a duplicate would arrive by now
  assert.deepEqual(received.slice(0, 20), Array.from({ length: 20 }, (_, i) => `m${i + 1}`));
  assert.equal(received.length, 21);
  assert.equal(received[20], big, 'a 100 KiB message comes whole through base64 events');

  const reply = await kited.admin('POST', `/v1/devices/${deviceId}/commands`, { name: 'ping', payload: 'hi', timeout_ms: 5000 });
  assert.equal(reply.status, 0);
  assert.equal(reply.payload, 'pong:hi');

  // 150 KiB: more than two POSTs' worth (64 KiB each), in order.
  const uplink = patterned(150 * 1024);
  await client.publish(uplink, { topic: 'big' });
  await client.publish('after the big one', { topic: 'small' });
  const events = await kited.admin('GET', `/v1/events?type=uplink&device=${deviceId}&after=0&wait=1s`);
  assert.deepEqual(events.events.map((e: any) => e.payload), [uplink, 'after the big one'], 'in order, whole, once');
  await eventually('acked_through 21', async () => (await kited.admin('GET', `/v1/devices/${deviceId}`)).acked_through === 21);
});
}

test('auto mode falls back when a proxy refuses WebSocket upgrades, and says so', async () => {
  const proxy = await upgradeRefusingProxy(kited.wsPort);
  const deviceId = 'fallback-auto';
  const client = connect(deviceId, { url: proxy.url, WebSocket });
  const switches: [Transport, string][] = [];
  client.on('transport', (transport, why) => void switches.push([transport, why]));
  const received = collect(client);
  await eventually('the session to open', () => client.state === 'open');
  assert.equal(switches.length, 1);
  assert.equal(switches[0][0], 'sse');
  assert.match(switches[0][1], /WebSocket could not open.*HTTP fallback's event stream/);
  for (let i = 1; i <= 5; i++) await kited.sendMessage(deviceId, `a${i}`);
  await eventually('the messages', () => received.length >= 5);
  assert.deepEqual(received, ['a1', 'a2', 'a3', 'a4', 'a5']);
});

test('auto mode ends on long-polling behind a proxy that also holds answers back until complete', async () => {
  const proxy = await upgradeRefusingProxy(kited.wsPort, true);
  const deviceId = 'fallback-auto-poll';
  const client = connect(deviceId, { url: proxy.url, WebSocket });
  const switches: Transport[] = [];
  client.on('transport', (transport) => void switches.push(transport));
  const received = collect(client);
  client.on('command', () => ({ status: 0, payload: 'polled' }));
  // The event stream never gets through: its attempt ends at the handshake's 10 s deadline.
  await eventually('the session to open', () => client.state === 'open', 20000);
  assert.deepEqual(switches, ['sse', 'poll']);
  for (let i = 1; i <= 5; i++) await kited.sendMessage(deviceId, `p${i}`);
  await eventually('the messages', () => received.length >= 5);
  assert.deepEqual(received, ['p1', 'p2', 'p3', 'p4', 'p5']);
  const reply = await kited.admin('POST', `/v1/devices/${deviceId}/commands`, { name: 'x', timeout_ms: 5000 });
  assert.equal(reply.payload, 'polled');
});

for (const transport of ['sse', 'poll'] as const) {
test(`over the HTTP fallback (${transport}), a kited restart loses nothing and doubles nothing`, async () => {
  const deviceId = `fallback-restart-${transport}`;
  const client = connect(deviceId, { transport, creditWindow: 8 });
  const received = collect(client);
  await eventually('the session to open', () => client.state === 'open');
  for (let i = 1; i <= 20; i++) await kited.sendMessage(deviceId, `r${i}`);
  await eventually('part of the messages', () => received.length >= 5);
  await kited.stop('SIGTERM');
  const offline = client.publish('sent while kited was down', { topic: 'offline' });
  await eventually('the client to notice', () => client.state !== 'open');
  await kited.start();
  await eventually('a resumed session', () => client.state === 'open', 15000);
  await offline;
  for (let i = 21; i <= 30; i++) await kited.sendMessage(deviceId, `r${i}`);
  await eventually('every message', () => received.length >= 30, 15000);
  await sleep(200);
  assert.deepEqual(received, Array.from({ length: 30 }, (_, i) => `r${i + 1}`));
});
}
