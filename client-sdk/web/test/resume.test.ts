// Resume across a kited restart on the same RocksDB data dir: every message reaches the app
// exactly once, in order, and uplinks queued while kited was down are sent and acked after it.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import WebSocket from 'ws';
import { KiteClient, WelcomeFields } from '../src';
import { eventually, Kited, sleep } from './kited';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function restartMidStream(signal: NodeJS.Signals, deviceId: string): Promise<void> {
  // A short drain spread, so that the Goaway's reconnect_after_ms does not make the test wait 30 s.
  const kited = new Kited({ settings: ['server.drain_reconnect_spread_ms=300'] });
  cleanups.push(() => kited.dispose());
  await kited.start();
  const client = new KiteClient({
    url: kited.url, deviceId, key: kited.deviceKey(deviceId), WebSocket,
    creditWindow: 8, backoffInitialMs: 100, backoffMaxMs: 500,
  });
  cleanups.push(() => client.stop());
  const welcomes: WelcomeFields[] = [];
  client.on('welcome', (welcome) => void welcomes.push(welcome));
  const received: string[] = [];
  const seqs: bigint[] = [];
  client.on('message', async (message) => {
    await sleep(10); // slow enough that the restart lands between delivery and ack for some
    received.push(message.text());
    seqs.push(message.seq);
  });
  client.start();
  await eventually('the first session', () => client.state === 'open');

  for (let i = 1; i <= 30; i++) await kited.sendMessage(deviceId, `m${i}`);
  await eventually('part of the messages', () => received.length >= 10);
  await kited.stop(signal);
  const offlineUplink = client.publish('sent while kited was down', { topic: 'offline' });
  await eventually('the client to notice', () => client.state !== 'open');
  await kited.start();
  await eventually('a resumed session', () => welcomes.length >= 2 && client.state === 'open', 15000);
  assert.equal(welcomes[welcomes.length - 1].resumed, true, 'the restarted kited resumes the session');
  await offlineUplink;

  for (let i = 31; i <= 40; i++) await kited.sendMessage(deviceId, `m${i}`);
  await eventually('every message', () => received.length >= 40, 15000);
  await sleep(200); // a duplicate would arrive by now
  assert.deepEqual(received, Array.from({ length: 40 }, (_, i) => `m${i + 1}`), 'no loss, no duplicate, in order');
  assert.equal(new Set(seqs.map(String)).size, 40);
  await eventually('acked_through 40', async () => (await kited.admin('GET', `/v1/devices/${deviceId}`)).acked_through === 40);
  const events = await kited.admin('GET', `/v1/events?type=uplink&device=${deviceId}&after=0&wait=1s`);
  assert.deepEqual(events.events.map((e: any) => e.payload), ['sent while kited was down']);
}

test('resume after a graceful restart (Goaway ServerShutdown)', async () => {
  await restartMidStream('SIGTERM', 'web-resume-term');
});

test('resume after kited is killed (kill -9)', async () => {
  await restartMidStream('SIGKILL', 'web-resume-kill');
});
