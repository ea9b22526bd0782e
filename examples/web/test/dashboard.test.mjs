// examples/web in headless Chromium against a real kited: each scenario opens the page, drives it
// through kited's admin API (messages, commands, restarts) and checks what the page's DOM shows.
// Run by test/run; harness.mjs builds and tears down each scenario's kited, server and browser.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { withDashboard } from './harness.mjs';
import { eventually, sleep } from './kited.mjs';

const SCENARIO_TIMEOUT_MS = 60000;

/** Pushes `count` QoS 1 messages, one after the other; returns what kited answered for each. */
async function pushMessages(dashboard, label, count) {
  const sent = [];
  for (let i = 1; i <= count; i++) {
    const topic = i % 2 ? 'telemetry' : 'alert';
    const text = `${label} message ${i}`;
    const { seq } = await dashboard.kited.sendMessage(dashboard.deviceId, text, { topic, qos: 1 });
    sent.push({ seq, topic, text });
  }
  return sent;
}

/** The page's list must become exactly `expected`: same seqs, topics and texts, in order, once each. */
async function assertMessagesShown(dashboard, expected) {
  await eventually(`${expected.length} messages on the page`,
    async () => (await dashboard.messages()).length >= expected.length);
  await sleep(300); // a duplicate would come right behind: give it the time to show
  const shown = await dashboard.messages();
  assert.deepEqual(shown, expected, 'the page lists each pushed message once, in the order sent');
  assert.equal(new Set(shown.map((m) => m.seq)).size, shown.length, 'no seq twice');
}

/** ping, set-title and an unknown command, through the admin API; replies and the page checked. */
async function assertCommandsAnswered(dashboard) {
  const { kited, deviceId } = dashboard;
  const pong = await kited.sendCommand(deviceId, 'ping');
  assert.equal(pong.status, 0);
  assert.equal(pong.payload, 'pong');

  const newTitle = `Boiler room ${Math.floor(Math.random() * 1000)}`;
  const titleReply = await kited.sendCommand(deviceId, 'set-title', newTitle);
  assert.equal(titleReply.status, 0);
  assert.equal(titleReply.payload, newTitle, 'set-title replies with the new title');
  assert.equal(await dashboard.title(), newTitle, 'the heading shows the new title');

  const unknown = await kited.sendCommand(deviceId, 'reboot');
  assert.equal(unknown.status, 404, 'an unknown command is refused, not silently accepted');

  const activity = await dashboard.activity();
  assert.ok(activity.some((line) => line.startsWith('command ping') && line.endsWith('pong')), activity.join('\n'));
  assert.ok(activity.some((line) => line.includes(`set-title "${newTitle}" -> status 0`)), activity.join('\n'));
}

/** Saves the page as `fileName` under the artefacts dir and checks it is a PNG with something on it. */
async function saveScreenshot(dashboard, fileName) {
  const screenshot = await dashboard.screenshot(fileName);
  const png = readFileSync(screenshot);
  assert.ok(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'a PNG file');
  assert.ok(png.length > 5000, `a screenshot with something on it (${png.length} bytes)`);
  console.log(`screenshot saved: ${screenshot}`);
}

test('ws://: the page opens, lists pushed messages live and answers commands', { timeout: SCENARIO_TIMEOUT_MS }, () =>
  withDashboard('ws', {}, async (dashboard) => {
    await dashboard.waitForState('open');
    assert.equal(await dashboard.reconnectAttempts(), 0);
    assert.deepEqual(await dashboard.transport(), { transport: 'websocket', text: 'over WebSocket' });
    await assertMessagesShown(dashboard, await pushMessages(dashboard, 'ws', 10));
    await assertCommandsAnswered(dashboard);
    await saveScreenshot(dashboard, 'web-dashboard.png');
  }));

test('WebSocket blocked: the page falls back to HTTP', { timeout: SCENARIO_TIMEOUT_MS }, () =>
  withDashboard('fallback', { blockWebSocket: true }, async (dashboard) => {
    const { proxy } = dashboard;
    assert.match(await dashboard.page.url(), new RegExp(`url=${encodeURIComponent(proxy.url())}`),
      'the page was pointed at the proxy, not at kited');
    await dashboard.waitForState('open');
    assert.deepEqual(await dashboard.transport(), { transport: 'sse', text: 'over HTTP fallback (event stream)' });
    const activity = await dashboard.activity();
    assert.ok(activity.some((line) => /^switched to HTTP fallback \(event stream\): the WebSocket could not open \(.*\): trying the HTTP fallback's event stream$/
      .test(line)), `the activity log says why it fell back:\n${activity.join('\n')}`);

    await assertMessagesShown(dashboard, await pushMessages(dashboard, 'fallback', 10));
    await assertCommandsAnswered(dashboard);
    // Still on HTTP after all that, not back on a WebSocket that somehow got through.
    assert.equal((await dashboard.transport()).transport, 'sse');

    // From the network's side: the browser asked for a WebSocket and was refused, then its event
    // stream and its uplink (Hello, acks, command replies) went through the proxy as HTTP.
    const { counts } = proxy;
    assert.ok(counts.upgradesRefused >= 1, `the proxy refused a WebSocket upgrade: ${JSON.stringify(counts)}`);
    assert.ok(counts.streams >= 1, `an event stream went through: ${JSON.stringify(counts)}`);
    assert.ok(counts.postsPassed >= 3, `uplink POSTs went through: ${JSON.stringify(counts)}`);
    assert.equal(counts.postsFailed, 0, `no POST refused: ${JSON.stringify(counts)}`);
    console.log(`proxy counts: ${JSON.stringify(counts)}`);
    await saveScreenshot(dashboard, 'web-dashboard-fallback.png');
  }));

test('wss://: the browser verifies kited\'s certificate through its NSS trust store', { timeout: SCENARIO_TIMEOUT_MS }, () =>
  withDashboard('wss', { secure: true }, async (dashboard) => {
    assert.match(await dashboard.page.url(), /url=wss%3A%2F%2F127\.0\.0\.1/, 'the page was given a wss:// URL');
    await dashboard.waitForState('open');
    await assertMessagesShown(dashboard, await pushMessages(dashboard, 'wss', 5));
    await assertCommandsAnswered(dashboard);
  }));

test('kited restart: the page shows it is reconnecting, comes back, and gets what was queued once',
  { timeout: SCENARIO_TIMEOUT_MS }, () =>
    withDashboard('restart', { pageParams: { max_retry_ms: '1000' } }, async (dashboard) => {
      const { kited, deviceId, page } = dashboard;
      await dashboard.waitForState('open');
      const before = await pushMessages(dashboard, 'before the restart', 2);
      await assertMessagesShown(dashboard, before);

      await kited.stop('SIGTERM');
      await dashboard.waitForState('waiting');
      const attemptsWhenDown = await dashboard.reconnectAttempts();
      await eventually('two failed reconnect attempts while kited is down',
        async () => (await dashboard.reconnectAttempts()) >= attemptsWhenDown + 2);
      // Watched for as the DOM changes: a short back-off may show the countdown only briefly.
      await page.waitForFunction(
        () => /^waiting, retry in \d+\.\d s$/.test(document.getElementById('status').textContent),
        { polling: 'mutation', timeout: 5000 });

      // Keep the page away (its network emulated offline) while kited comes back, so that the next
      // message is certainly queued rather than delivered, then restart kited once more: the
      // message must survive in the durable queue (RocksDB in the same data dir).
      await page.setOfflineMode(true);
      await kited.start();
      const queued = await kited.sendMessage(deviceId, 'sent while the page was away', { topic: 'queued', qos: 1 });
      assert.equal(queued.status, 'queued');
      assert.equal(queued.online, false, 'the page was not connected when the message was sent');
      await kited.stop('SIGTERM');
      await kited.start();

      await page.setOfflineMode(false);
      await dashboard.waitForState('open', 15000);
      await assertMessagesShown(dashboard,
        [...before, { seq: queued.seq, topic: 'queued', text: 'sent while the page was away' }]);
      assert.ok(await dashboard.reconnectAttempts() >= attemptsWhenDown + 3, 'the reconnect count grew');
      const activity = await dashboard.activity();
      assert.ok(activity.some((line) => line.includes('ServerShutdown')), `the page says why: ${activity.join('\n')}`);
    }));
