// kited compresses what it sends with zstd, with a trained dictionary when the device holds it:
// the client must decode both, or it cannot read kited's larger or dictionary-compressed frames.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import WebSocket from 'ws';
import { dictionaryId, KiteClient, KiteMessage } from '../src';
import { eventually, Kited, KITE } from './kited';

const DICTIONARY_ID = 4242;
const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A telemetry payload of ~200 bytes: alone, it barely compresses without a dictionary. */
function telemetry(i: number): string {
  return JSON.stringify({
    device: `sensor-${i % 17}`,
    type: 'telemetry',
    firmware: '2.4.1',
    readings: { temperature_c: 20 + (i % 9) / 10, humidity_pct: 40 + (i % 13), battery_mv: 3000 + i },
    location: { site: 'warehouse-north', floor: i % 3, rack: `R${i % 11}` },
    status: i % 5 === 0 ? 'warning' : 'ok',
  });
}

/**
 * The steps of docs/server.md "Compression and dictionaries": record real traffic (here 150
 * telemetry messages to a device on this SDK), `kite dict train` on the recording, configure
 * kited with it. Without the kite CLI, `zstd --train` on the same payloads stands in.
 */
async function trainDictionary(kited: Kited): Promise<string> {
  const output = join(kited.dataDir, 'telemetry.zdict');
  if (!existsSync(KITE)) {
    const samples = join(kited.dataDir, 'samples');
    mkdirSync(samples, { recursive: true });
    for (let i = 0; i < 150; i++) writeFileSync(join(samples, `${i}.json`), telemetry(i * 7 + 1));
    execFileSync('zstd', ['-q', '--train', '-r', samples, '-o', output, `--dictID=${DICTIONARY_ID}`, '--maxdict=8192']);
    return output;
  }
  kited.settings.push('record.enabled=true');
  await kited.start();
  const client = new KiteClient({ url: kited.url, deviceId: 'recorded-1', key: kited.deviceKey('recorded-1'), WebSocket });
  let count = 0;
  client.on('message', () => void count++);
  client.start();
  await eventually('the recorded session', () => client.state === 'open');
  for (let i = 0; i < 150; i++) await kited.sendMessage('recorded-1', telemetry(i * 7 + 1));
  await eventually('the recorded messages', () => count === 150);
  client.stop();
  await kited.stop(); // flushes the recording
  const recordings = join(kited.dataDir, 'recordings');
  const pcaps = readdirSync(recordings).map((name) => join(recordings, name));
  const args = ['dict', 'train', '-o', output, '--id', String(DICTIONARY_ID), '--max-size', '8192', ...pcaps];
  console.log(`kite ${args.join(' ')}`);
  console.log(execFileSync(KITE, args).toString().trim());
  console.log(execFileSync(KITE, ['dict', 'info', output]).toString().trim());
  return output;
}

async function startWithDictionary(): Promise<{ kited: Kited; dictionary: Uint8Array }> {
  const kited = new Kited();
  cleanups.push(() => kited.dispose());
  const path = await trainDictionary(kited);
  kited.settings.push(`compression.dictionary_file=${path}`);
  await kited.start();
  return { kited, dictionary: new Uint8Array(readFileSync(path)) };
}

test('messages compressed with the trained dictionary are decoded', async () => {
  const { kited, dictionary } = await startWithDictionary();
  assert.equal(dictionaryId(dictionary), DICTIONARY_ID);
  const deviceId = 'web-dict-1';
  const client = new KiteClient({ url: kited.url, deviceId, key: kited.deviceKey(deviceId), WebSocket, dictionaries: [dictionary] });
  cleanups.push(() => client.stop());
  let agreed = -1;
  client.on('welcome', (welcome) => (agreed = welcome.dictionary));
  const received: KiteMessage[] = [];
  client.on('message', (message) => void received.push(message));
  client.start();
  await eventually('the session to open', () => client.state === 'open');
  assert.equal(agreed, DICTIONARY_ID, 'kited offers its dictionary in the Welcome');
  const sent = Array.from({ length: 20 }, (_, i) => telemetry(1000 + i));
  for (const payload of sent) await kited.sendMessage(deviceId, payload);
  await eventually('all messages', () => received.length === sent.length);
  assert.deepEqual(received.map((m) => m.text()), sent);
  assert.ok(client.stats.dictionaryFrames >= sent.length / 2, `dictionary frames: ${JSON.stringify(client.stats)}`);
  console.log(`stats: ${JSON.stringify(client.stats)}`);
});

test('without the dictionary, large messages arrive zstd-compressed alone', async () => {
  const { kited } = await startWithDictionary();
  const deviceId = 'web-dict-2';
  const client = new KiteClient({ url: kited.url, deviceId, key: kited.deviceKey(deviceId), WebSocket });
  cleanups.push(() => client.stop());
  let agreed = -1;
  client.on('welcome', (welcome) => (agreed = welcome.dictionary));
  const received: string[] = [];
  client.on('message', (message) => void received.push(message.text()));
  client.start();
  await eventually('the session to open', () => client.state === 'open');
  assert.equal(agreed, 0, 'a client without the dictionary is not offered it');
  const big = Array.from({ length: 50 }, (_, i) => telemetry(i)).join('\n'); // ~10 KB, compressible
  await kited.sendMessage(deviceId, big);
  await eventually('the large message', () => received.length === 1);
  assert.equal(received[0], big);
  assert.equal(client.stats.dictionaryFrames, 0);
  assert.ok(client.stats.compressedFrames >= 1, JSON.stringify(client.stats));
});
