// End-to-end against a real kited over WebSocket: downlink with acks, commands, uplink.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { KiteClient, KiteClientOptions, KiteError, KiteMessage, Reason, ResumeStore, SavedSession } from '../src';
import { randomBytes } from 'node:crypto';
import { eventually, Kited } from './kited';
import { mintToken } from './token';

let kited: Kited;
const tokenKey = randomBytes(32);
const clients: KiteClient[] = [];

before(async () => {
  kited = new Kited({ settings: [`auth.token_key=${tokenKey.toString('hex')}`] });
  await kited.start();
});

after(async () => {
  for (const client of clients) client.stop();
  await kited.dispose();
});

function connect(deviceId: string, extra: Partial<KiteClientOptions> = {}): KiteClient {
  const client = new KiteClient({
    url: kited.url,
    deviceId,
    key: kited.deviceKey(deviceId),
    WebSocket,
    backoffInitialMs: 100,
    backoffMaxMs: 1000,
    ...extra,
  });
  clients.push(client);
  client.start();
  return client;
}

async function waitOpen(client: KiteClient): Promise<void> {
  await eventually('the session to open', () => client.state === 'open');
}

test('downlink messages arrive in order and are acked after the handler returns', async () => {
  const deviceId = 'web-acks-1';
  const client = connect(deviceId, { creditWindow: 8 });
  const received: KiteMessage[] = [];
  client.on('message', async (message) => {
    await new Promise((resolve) => setTimeout(resolve, 2)); // an app that takes its time
    received.push(message);
  });
  await waitOpen(client);
  const count = 40; // five times the credit window: credit must be refilled as the C++ SDK does
  for (let i = 1; i <= count; i++) await kited.sendMessage(deviceId, `message ${i}`);
  await eventually('all messages', () => received.length === count);
  assert.deepEqual(received.map((m) => m.text()), Array.from({ length: count }, (_, i) => `message ${i + 1}`));
  assert.deepEqual(received.map((m) => Number(m.seq)), Array.from({ length: count }, (_, i) => i + 1));
  const device = await eventually('acked_through to reach 40', async () => {
    const info = await kited.admin('GET', `/v1/devices/${deviceId}`);
    return info.acked_through === count ? info : null;
  });
  assert.equal(device.online, true);
});

test('a command is answered with the handler reply', async () => {
  const deviceId = 'web-command-1';
  const client = connect(deviceId);
  client.on('command', async (command) => ({ status: 0, payload: `${command.name}:${command.text()}` }));
  await waitOpen(client);
  const reply = await kited.admin('POST', `/v1/devices/${deviceId}/commands`, {
    name: 'echo',
    payload: 'ping',
    timeout_ms: 5000,
  });
  assert.equal(reply.status, 0);
  assert.equal(reply.payload, 'echo:ping');
});

test('a command without a handler gets status 501', async () => {
  const deviceId = 'web-command-2';
  const client = connect(deviceId);
  await waitOpen(client);
  const reply = await kited.admin('POST', `/v1/devices/${deviceId}/commands`, { name: 'x', timeout_ms: 5000 });
  assert.equal(reply.status, 501);
});

test('uplink publishes queued offline are sent and acked', async () => {
  const deviceId = 'web-uplink-1';
  const client = new KiteClient({ url: kited.url, deviceId, key: kited.deviceKey(deviceId), WebSocket });
  clients.push(client);
  // Queued before the first connection: the offline queue holds them until the session opens.
  const acked = [1, 2, 3].map((i) => client.publish(`{"reading":${i}}`, { topic: 'telemetry' }));
  assert.equal(client.queuedUplinks, 3);
  client.start();
  await Promise.all(acked);
  assert.equal(client.queuedUplinks, 0);
  await client.publish('qos0', { qos: 0, topic: 'telemetry' });
  // The QoS 0 publish resolves once written: its event may be recorded a moment later.
  const events = await eventually('four uplink events', async () => {
    const answer = await kited.admin('GET', `/v1/events?type=uplink&device=${deviceId}&after=0&wait=1s`);
    return answer.events.length >= 4 ? answer.events : null;
  });
  const uplinks = events.map((e: any) => [e.qos, e.seq ?? 0, e.payload]);
  assert.deepEqual(uplinks, [
    [1, 1, '{"reading":1}'],
    [1, 2, '{"reading":2}'],
    [1, 3, '{"reading":3}'],
    [0, 0, 'qos0'],
  ]);
});

test('a wrong key is refused and the client stops (AuthFailed is final)', async () => {
  const deviceId = 'web-badkey-1';
  const client = connect(deviceId, { key: '00'.repeat(32) });
  const errors: number[] = [];
  client.on('error', (err) => errors.push(err.reason));
  await eventually('the client to stop', () => client.state === 'stopped');
  assert.ok(errors.includes(40), `errors: ${errors}`);
});

function token(deviceId: string, expiresInS: number): string {
  const now = Math.floor(Date.now() / 1000);
  return mintToken(tokenKey, { deviceId, groups: [], issuedAtS: now - 10, expiresAtS: now + expiresInS });
}

test('a browser-style client connects with a token and receives', async () => {
  const deviceId = 'web-token-1';
  const client = connect(deviceId, { key: undefined, token: token(deviceId, 600) });
  const received: string[] = [];
  client.on('message', (message) => void received.push(message.text()));
  await waitOpen(client);
  await kited.sendMessage(deviceId, 'hello token');
  await eventually('the message', () => received.length === 1);
  assert.deepEqual(received, ['hello token']);
});

test('an expired token stops the client with TokenExpired', async () => {
  const deviceId = 'web-token-2';
  const client = connect(deviceId, { key: undefined, token: token(deviceId, -5) });
  const errors: number[] = [];
  client.on('error', (err) => errors.push(err.reason));
  await eventually('the client to stop', () => client.state === 'stopped');
  assert.ok(errors.includes(41), `errors: ${errors}`);
});

test('a kick (Goaway Kicked) is followed by a reconnect', async () => {
  const deviceId = 'web-kick-1';
  const client = connect(deviceId);
  const reasons: (number | undefined)[] = [];
  client.on('state', (state, detail) => state === 'waiting' && reasons.push(detail.reason));
  await waitOpen(client);
  await kited.admin('DELETE', `/v1/devices/${deviceId}/connection`);
  await eventually('a reconnect', () => reasons.length > 0 && client.state === 'open');
  assert.equal(reasons[0], 63);
});

test('a newer connection replaces the older, which stops (Replaced is final)', async () => {
  const deviceId = 'web-replaced-1';
  const older = connect(deviceId);
  const olderErrors: number[] = [];
  older.on('error', (err) => olderErrors.push(err.reason));
  await waitOpen(older);
  const newer = connect(deviceId);
  await eventually('the older client to stop', () => older.state === 'stopped');
  assert.ok(olderErrors.includes(61), `errors: ${olderErrors}`);
  await waitOpen(newer);
  const received: string[] = [];
  newer.on('message', (message) => void received.push(message.text()));
  await kited.sendMessage(deviceId, 'to the newer');
  await eventually('the message on the newer connection', () => received.length === 1);
});

test('QoS 0 and QoS 1 messages mixed: all arrive, credit keeps flowing, QoS 1 acked', async () => {
  const deviceId = 'web-mixed-1';
  const client = connect(deviceId, { creditWindow: 4 }); // QoS 0 uses credit too: refills must count it
  const received: string[] = [];
  client.on('message', (message) => void received.push(`${message.qos}:${message.text()}`));
  await waitOpen(client);
  const expected: string[] = [];
  for (let i = 1; i <= 20; i++) {
    const qos = i % 2;
    await kited.sendMessage(deviceId, `m${i}`, { qos });
    expected.push(`${qos}:m${i}`);
    // kited drops a QoS 0 message for a device with no credit left (docs/server.md), so each
    // waits for the one before: 20 through a window of 4 still need the refills to count QoS 0,
    // without racing the refill's round trip on a loaded machine.
    await eventually(`m${i}`, () => received.length === expected.length);
  }
  // kited keeps order among QoS 1; a QoS 0 send may overtake a QoS 1 one still being stored.
  assert.deepEqual([...received].sort(), [...expected].sort());
  const qos1 = (list: string[]) => list.filter((m) => m.startsWith('1:'));
  assert.deepEqual(qos1(received), qos1(expected));
  await eventually('acked_through 10', async () => (await kited.admin('GET', `/v1/devices/${deviceId}`)).acked_through === 10);
});

test('keep-alive pings hold an idle session open past the timeout', async () => {
  const deviceId = 'web-keepalive-1';
  const client = connect(deviceId, { keepaliveMs: 1000 }); // kited's minimum: its timeout is 1.5 s
  let keepalive = 0;
  client.on('welcome', (welcome) => (keepalive = welcome.keepaliveMs));
  const states: string[] = [];
  client.on('state', (state) => void states.push(state));
  await waitOpen(client);
  await new Promise((resolve) => setTimeout(resolve, 3500));
  assert.equal(keepalive, 1000);
  assert.deepEqual(states, ['open'], 'no reconnect while idle');
  assert.equal((await kited.admin('GET', `/v1/devices/${deviceId}`)).online, true);
});

test('join and leave groups; a refused join rejects', async () => {
  const deviceId = 'web-groups-1';
  const client = new KiteClient({ url: kited.url, deviceId, key: kited.deviceKey(deviceId), WebSocket });
  clients.push(client);
  const joined = client.join('room-7'); // queued before the first connection, sent once open
  client.start();
  await joined;
  // kited answers 404 for a group nobody is in any more.
  const members = async () =>
    (await kited.admin('GET', '/v1/groups/room-7').catch(() => ({ members: [] }))).members.map((m: any) => m.device);
  assert.deepEqual(await members(), [deviceId]);
  await assert.rejects(client.join('no/slash'), (err: KiteError) => err.reason === Reason.LimitExceeded);
  await client.leave('room-7');
  assert.deepEqual(await members(), []);
});

test('a resume store carries the session over to a new client (a page reload)', async () => {
  const deviceId = 'web-reload-1';
  let saved: SavedSession | null = null;
  let first: KiteClient | null = null;
  const store: ResumeStore = {
    load: () => saved,
    save: (session) => {
      saved = session;
      // "Reload" right after the fifth message was processed, before its ack (20 ms later) is
      // out: kited still holds r1..r5, and only the saved seq keeps them from coming again.
      if (session.lastReceivedSeq === '5') first?.stop();
    },
  };
  // Queued before the client connects, so that they arrive together, well inside the ack delay:
  // sent one by one to an open session, a slow admin call lets an ack out between two of them.
  for (let i = 1; i <= 5; i++) await kited.sendMessage(deviceId, `r${i}`);
  first = connect(deviceId, { resumeStore: store });
  const firstReceived: string[] = [];
  first.on('message', (message) => void firstReceived.push(message.text()));
  await eventually('the first five', () => firstReceived.length === 5 && first?.state === 'stopped');
  assert.equal((await kited.admin('GET', `/v1/devices/${deviceId}`)).acked_through, 0);
  for (let i = 6; i <= 10; i++) await kited.sendMessage(deviceId, `r${i}`); // while "reloading"

  const second = connect(deviceId, { resumeStore: store });
  let resumed: boolean | undefined;
  second.on('welcome', (welcome) => (resumed = welcome.resumed));
  const secondReceived: string[] = [];
  second.on('message', (message) => void secondReceived.push(message.text()));
  await eventually('the other five', () => secondReceived.length === 5);
  await new Promise((resolve) => setTimeout(resolve, 200)); // a duplicate would be here by now
  assert.equal(resumed, true);
  assert.deepEqual(secondReceived, ['r6', 'r7', 'r8', 'r9', 'r10']);
  await eventually('acked_through 10', async () => (await kited.admin('GET', `/v1/devices/${deviceId}`)).acked_through === 10);
});

test('stop() then start() resumes: no message twice', async () => {
  const deviceId = 'web-restart-1';
  const client = connect(deviceId);
  const received: string[] = [];
  let welcomes = 0;
  client.on('welcome', () => void welcomes++);
  client.on('message', (message) => {
    received.push(message.text());
    if (received.length === 3) client.stop(); // before the acks of 1..3 are out
  });
  await waitOpen(client);
  for (let i = 1; i <= 3; i++) await kited.sendMessage(deviceId, `s${i}`);
  await eventually('the stop', () => client.state === 'stopped' && received.length === 3);
  for (let i = 4; i <= 6; i++) await kited.sendMessage(deviceId, `s${i}`);
  client.start();
  await eventually('the rest', () => received.length >= 6 && welcomes === 2);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(received, ['s1', 's2', 's3', 's4', 's5', 's6']);
});
