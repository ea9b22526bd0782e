// Starts a real kited for one test on free ports, and kills it afterwards (also on failure:
// every started process is killed when the test process exits).
import { ChildProcess, spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const KITED = process.env.KITED ?? '/work/main/build/server/kited';
export const KITE = process.env.KITE ?? '/work/main/build/tools/kite/kite';

const running = new Set<ChildProcess>();
/** Data dirs this process created, removed on exit even when a test failed half-way. */
const createdDirs = new Set<string>();
function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of createdDirs) rmSync(dir, { recursive: true, force: true });
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(1);
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface KitedOptions {
  /** Extra `--set key=value` settings. */
  settings?: string[];
  dataDir?: string;
  /** Worker loops (default 1); 2 spreads connections, so a tunnel's POSTs cross workers. */
  workers?: number;
}

export class Kited {
  readonly masterKey = randomBytes(32).toString('hex');
  readonly adminToken = randomBytes(16).toString('hex');
  readonly dataDir: string;
  devicePort = 0;
  adminPort = 0;
  wsPort = 0;
  /** `--set key=value` settings; may be added to before start(). */
  readonly settings: string[];
  private child: ChildProcess | null = null;
  private logPath: string;

  constructor(private readonly options: KitedOptions = {}) {
    this.dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'kite-web-test-'));
    if (!options.dataDir) createdDirs.add(this.dataDir);
    this.logPath = join(this.dataDir, 'kited.log');
    this.settings = [...(options.settings ?? [])];
  }

  get url(): string {
    return `ws://127.0.0.1:${this.wsPort}/kite`;
  }

  deviceKey(deviceId: string): string {
    return createHmac('sha256', Buffer.from(this.masterKey, 'hex')).update(deviceId).digest('hex');
  }

  /** Starts kited (again, on the same ports and data dir after a stop) and waits for /readyz. */
  async start(): Promise<void> {
    if (!this.wsPort) {
      [this.devicePort, this.adminPort, this.wsPort] = [await freePort(), await freePort(), await freePort()];
    }
    const args = [
      '--mode', 'development', '--data-dir', this.dataDir, '--workers', String(this.options.workers ?? 1),
      '--device-listen', `127.0.0.1:${this.devicePort}`, '--admin-listen', `127.0.0.1:${this.adminPort}`,
      '--admin-token', this.adminToken, '--set', `auth.master_key=${this.masterKey}`,
      '--set', `websocket.listen=127.0.0.1:${this.wsPort}`, '--set', 'websocket.path=/kite',
      ...this.settings.flatMap((s) => ['--set', s]),
    ];
    const log = openSync(this.logPath, 'a');
    this.child = spawn(KITED, args, { stdio: ['ignore', log, log] });
    running.add(this.child);
    await this.waitReady();
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline) {
      if (this.child?.exitCode !== null) throw new Error(`kited exited: ${this.log()}`);
      try {
        const response = await fetch(`http://127.0.0.1:${this.adminPort}/readyz`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    throw new Error(`kited not ready in 15 s: ${this.log()}`);
  }

  /** SIGTERM (kited drains: Goaway ServerShutdown), SIGKILL if it lingers. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    running.delete(child);
  }

  /** Stops kited and removes its data dir. */
  async dispose(): Promise<void> {
    await this.stop();
    if (!this.options.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  log(): string {
    try {
      return readFileSync(this.logPath, 'utf8').slice(-4000);
    } catch {
      return '(no log)';
    }
  }

  async admin(method: string, path: string, body?: unknown): Promise<any> {
    const response = await fetch(`http://127.0.0.1:${this.adminPort}${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.adminToken}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  sendMessage(deviceId: string, payload: string, extra: Record<string, unknown> = {}): Promise<any> {
    return this.admin('POST', `/v1/devices/${deviceId}/messages`, { payload, ...extra });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` returns a truthy value, or fails with `what` after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T> | T, timeoutMs = 10000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
