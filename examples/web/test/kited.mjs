// Starts a real kited for one scenario on free ports, with a [websocket] listener (and a wss://
// one when given a certificate), and mints device tokens with the kite CLI. Adapted from
// client-sdk/web/test/kited.ts, in plain JS so that this test package needs no TypeScript.
// Every kited started is SIGKILLed when the test process exits, also on failure.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const KITED = process.env.KITED ?? '/work/main/build/server/kited';
export const KITE = process.env.KITE ?? '/work/main/build/tools/kite/kite';

const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` returns a truthy value, or fails with `what` after `timeoutMs`. */
export async function eventually(what, check, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${lastError}` : ''}`);
}

export class Kited {
  /**
   * @param {string} dataDir  kept across restarts (the durable queue lives there); the caller removes it
   * @param {{certFile?: string, keyFile?: string}} tls  a server certificate: opens the wss:// listener
   * @param {string[]} origins  websocket.origins: the browser pages allowed in (empty: any)
   */
  constructor(dataDir, tls = {}, origins = []) {
    this.dataDir = dataDir;
    this.tls = tls;
    this.origins = origins;
    this.tokenKey = randomBytes(32).toString('hex');
    this.adminToken = randomBytes(16).toString('hex');
    this.ports = null;
    this.child = null;
    this.logPath = join(dataDir, 'kited.log');
  }

  /** ws:// URL of the plain listener, or wss:// of the TLS one. */
  url(secure = false) {
    return secure ? `wss://127.0.0.1:${this.ports.wss}/kite` : `ws://127.0.0.1:${this.ports.ws}/kite`;
  }

  /** Starts kited (again, on the same ports and data dir after a stop) and waits for /readyz. */
  async start() {
    this.ports ??= { device: await freePort(), admin: await freePort(), ws: await freePort(), wss: await freePort() };
    const settings = [
      `auth.token_key=${this.tokenKey}`,
      `websocket.listen=127.0.0.1:${this.ports.ws}`,
      'websocket.path=/kite',
      // A SIGTERM'd kited tells clients to come back after a random delay up to this (default
      // 30 s, to spread a fleet); short here so that the restart scenario does not wait.
      'server.drain_reconnect_spread_ms=300',
    ];
    // One --set per origin would keep only the last; kited takes the list comma-separated.
    if (this.origins.length) settings.push(`websocket.origins=${this.origins.join(',')}`);
    if (this.tls.certFile) {
      settings.push(`tls.cert_file=${this.tls.certFile}`, `tls.key_file=${this.tls.keyFile}`,
        `websocket.tls_listen=127.0.0.1:${this.ports.wss}`);
    }
    const args = [
      '--mode', 'development', '--data-dir', this.dataDir, '--workers', '1',
      '--device-listen', `127.0.0.1:${this.ports.device}`, '--admin-listen', `127.0.0.1:${this.ports.admin}`,
      '--admin-token', this.adminToken, ...settings.flatMap((s) => ['--set', s]),
    ];
    const log = openSync(this.logPath, 'a');
    this.child = spawn(KITED, args, { stdio: ['ignore', log, log] });
    running.add(this.child);
    await this.waitReady();
  }

  async waitReady() {
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`kited exited (${this.child.exitCode}): ${this.log()}`);
      try {
        if ((await fetch(`http://127.0.0.1:${this.ports.admin}/readyz`)).ok) return;
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    throw new Error(`kited not ready in 15 s: ${this.log()}`);
  }

  /** SIGTERM (kited drains: Goaway ServerShutdown to every session), SIGKILL if it lingers. */
  async stop(signal = 'SIGTERM') {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    running.delete(child);
  }

  log() {
    try {
      return readFileSync(this.logPath, 'utf8').slice(-3000);
    } catch {
      return '(no log)';
    }
  }

  /** A device token signed with this kited's auth.token_key, as a backend would mint it. */
  mintToken(deviceId) {
    const out = execFileSync(KITE, ['keys', 'token', '--token-key', this.tokenKey, '--device', deviceId, '--ttl', '10m']);
    return out.toString().trim();
  }

  async admin(method, path, body) {
    const response = await fetch(`http://127.0.0.1:${this.ports.admin}${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.adminToken}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  /** QoS 1 by default: stored durably until the device acknowledges it. */
  sendMessage(deviceId, payload, fields = {}) {
    return this.admin('POST', `/v1/devices/${deviceId}/messages`, { payload, ...fields });
  }

  /** Waits for the device's reply: {status, payload}. */
  sendCommand(deviceId, name, payload = '') {
    return this.admin('POST', `/v1/devices/${deviceId}/commands`, { name, payload, timeout_ms: 5000 });
  }
}
