// One scenario's world: a real kited, the static server, headless Chromium with a profile of its
// own, and the dashboard page open on it. withDashboard(name, options, scenario) builds it, runs
// the scenario, screenshots the page if it failed, and tears everything down in reverse order,
// failure or not. A new scenario is a new option here and a new test() in dashboard.test.mjs
// (the HTTP fallback one: option blockWebSocket).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { Kited } from './kited.mjs';
import { startStaticServer } from './static-server.mjs';
import { makeTestPki, trustCaForChromium } from './tls.mjs';
import { startUpgradeRefusingProxy } from './upgrade-refusing-proxy.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const ARTIFACTS = resolve(process.env.KITE_ARTIFACTS ?? join(repoRoot, 'build', 'artifacts'));

/** Temporary dirs of this process, removed on exit even if a teardown never ran. */
const tempDirs = new Set();
process.on('exit', () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
// Interrupted (test/run kills the process group on Ctrl-C): exit through the 'exit' handlers,
// which kill kited (kited.mjs) and Chromium (puppeteer) and remove the temporary dirs.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(1));

function chromiumPath() {
  const candidates = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error('chromium not found: apt-get install chromium (Debian), or set CHROMIUM to its path');
  return found;
}

async function launchChromium(home) {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true, // the new headless mode: puppeteer passes --headless=new
    // We run as root, where Chromium's sandbox cannot start. The profile (and so the NSS
    // database under $HOME) is this scenario's alone.
    args: ['--no-sandbox', `--user-data-dir=${join(home, 'profile')}`],
    env: { ...process.env, HOME: home },
    timeout: 20000,
  });
}

/**
 * @param {object} options
 * @param {boolean} [options.secure]   the page connects over wss://, the browser trusting a test CA
 * @param {string} [options.deviceId]
 * @param {boolean} [options.blockWebSocket]  the page connects through a proxy that refuses
 *   WebSocket upgrades (403) and passes plain requests: the SDK must fall back to HTTP
 * @param {Record<string,string>} [options.pageParams]  extra query-string settings of the page
 * @param {(() => Promise<void>)[]} cleanups  filled with teardown steps, run in reverse
 */
async function openDashboard(options, cleanups) {
  const dir = mkdtempSync(join(tmpdir(), 'kite-web-example-'));
  tempDirs.add(dir);
  cleanups.push(async () => {
    rmSync(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
  });
  const home = join(dir, 'home');
  const dataDir = join(dir, 'kited-data');
  mkdirSync(home);
  mkdirSync(dataDir);

  let tls = {};
  if (options.secure) {
    tls = makeTestPki(dir);
    trustCaForChromium(home, tls.caFile);
  }
  // The static server first: kited lists its origin in websocket.origins, as production would the
  // page's, so that a refused Origin (or missing CORS headers on the HTTP fallback) fails a scenario.
  const server = await startStaticServer();
  cleanups.push(() => server.close());

  const kited = new Kited(dataDir, tls, [server.origin]);
  cleanups.push(() => kited.stop());
  await kited.start();

  let proxy = null;
  if (options.blockWebSocket) {
    proxy = await startUpgradeRefusingProxy(kited.ports.ws);
    cleanups.push(() => proxy.close());
  }

  const browser = await launchChromium(home);
  cleanups.push(() => browser.close());
  const page = await browser.newPage();
  await page.setViewport({ width: 900, height: 700 });
  const pageLog = [];
  page.on('console', (message) => pageLog.push(`console.${message.type()}: ${message.text()}`));
  page.on('pageerror', (err) => pageLog.push(`page error: ${err.message}`));

  const deviceId = options.deviceId ?? 'dash-1';
  const query = new URLSearchParams({
    url: proxy ? proxy.url() : kited.url(options.secure), device: deviceId, token: kited.mintToken(deviceId), ...options.pageParams,
  });
  await page.goto(`${server.origin}/index.html?${query}`);
  return new Dashboard(page, kited, deviceId, pageLog, proxy);
}

/** The page as a user sees it: read from the DOM only, never from the client's internals. */
export class Dashboard {
  /** `proxy`: the upgrade-refusing proxy with its counts (option blockWebSocket), else null. */
  constructor(page, kited, deviceId, pageLog, proxy) {
    Object.assign(this, { page, kited, deviceId, pageLog, proxy });
  }

  state() {
    return this.page.$eval('#status', (badge) => badge.dataset.state);
  }

  async waitForState(state, timeout = 10000) {
    try {
      await this.page.waitForSelector(`#status[data-state="${state}"]`, { timeout });
    } catch {
      const badge = await this.page.$eval('#status', (el) => el.textContent);
      throw new Error(`the status badge did not show "${state}" in ${timeout} ms; it shows "${badge}"`);
    }
  }

  /** The transport shown beside the badge: {transport: 'websocket' | 'sse' | 'poll' | undefined, text}. */
  transport() {
    return this.page.$eval('#transport', (el) => ({ transport: el.dataset.transport, text: el.textContent }));
  }

  async reconnectAttempts() {
    return Number(await this.page.$eval('#reconnects', (el) => el.textContent));
  }

  title() {
    return this.page.$eval('#title', (el) => el.textContent);
  }

  /** The message list: [{seq, topic, text}], top to bottom. */
  messages() {
    return this.page.$$eval('#messages li', (items) => items.map((item) => ({
      seq: Number(item.dataset.seq),
      topic: item.querySelector('.topic').textContent,
      text: item.querySelector('.text').textContent,
    })));
  }

  activity() {
    return this.page.$$eval('#activity .text', (items) => items.map((item) => item.textContent));
  }

  /** Saves a PNG of the page under ARTIFACTS and returns its path. */
  async screenshot(fileName) {
    mkdirSync(ARTIFACTS, { recursive: true });
    const path = join(ARTIFACTS, fileName);
    await this.page.screenshot({ path, fullPage: true });
    return path;
  }
}

/** Runs `scenario(dashboard)` in a fresh world and always tears it down. */
export async function withDashboard(name, options, scenario) {
  const cleanups = [];
  let dashboard;
  try {
    dashboard = await openDashboard(options, cleanups);
    await scenario(dashboard);
  } catch (err) {
    if (dashboard) {
      const shot = await dashboard.screenshot(`${name}-failed.png`).catch(() => null);
      err.message += `\n  page log:\n    ${dashboard.pageLog.join('\n    ') || '(empty)'}` +
        `\n  kited log (tail):\n${dashboard.kited.log()}` + (shot ? `\n  screenshot: ${shot}` : '');
    }
    throw err;
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((err) => console.error(`# teardown of ${name}: ${err.message}`));
    }
  }
}
