// KiteClient: what the app sees. It owns what survives a reconnect (resume token, store epoch,
// highest delivered seq, the uplink queue) and replaces the Link after each loss, with back-off.
import { Backoff } from './backoff';
import type { IncomingPublish, WelcomeFields } from './codec';
import { hexToBytes } from './crypto';
import { GroupRequests } from './groups';
import { KiteError, Reason, reasonName, reconnectAllowed } from './errors';
import { TypedEmitter } from './events';
import { CloseInfo, CommandRequest, Link, LinkStats, ResumeState } from './link';
import { PollTunnel, SseTunnel } from './http-tunnel';
import { resolveWebSocket, WebSocketConstructor } from './socket';
import { fromSaved, ResumeStore, toSaved } from './resume-store';
import { PublishOptions, UplinkQueue } from './uplink-queue';
import { Decompressor, initZstd } from './zstd';

export const AGENT = 'kite-web/0.1.0';

export interface KiteClientOptions {
  /** ws:// or wss:// URL of kited's WebSocket listener, path included (e.g. wss://host/kite). */
  url: string;
  deviceId: string;
  /** Device key as 64 hex characters (HMAC method); or give `token`. */
  key?: string;
  /** A token minted by your backend (Token method), the usual choice in browsers. */
  token?: string;
  keepaliveMs?: number;
  /** Downlink publishes kited may send before the app has processed them (Hello.credit). */
  creditWindow?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Uplink publishes held while offline or unacknowledged; publish() rejects beyond it. */
  maxQueued?: number;
  /** zstd-format dictionaries (`kite dict train` output), as bytes. */
  dictionaries?: Uint8Array[];
  /** Largest body this client accepts (Hello.max_frame). */
  maxFrame?: number;
  /** The WebSocket class, for Node 20: `require('ws')`. Defaults to globalThis.WebSocket. */
  WebSocket?: unknown;
  /**
   * Keeps the resume token, store epoch and last processed seq across page reloads or restarts
   * (e.g. webStorageResumeStore(localStorage, 'kite')). Without it they live in memory only.
   */
  resumeStore?: ResumeStore;
  /** Where a browser fetches zstd.wasm; defaults to beside the bundle. */
  zstdWasmUrl?: string;
  /**
   * 'auto' (the default): a WebSocket; when one cannot open, the HTTP fallback on the same port
   * (an event stream down, POSTs up), and long-polling when the stream cannot open either; with no
   * WebSocket class (Node 18 without `ws`), the fallback from the start. The `transport` event says
   * when it changes. 'websocket', 'sse' or 'poll': that one only.
   */
  transport?: 'auto' | Transport;
}

export type Transport = 'websocket' | 'sse' | 'poll';

export type ClientState = 'idle' | 'connecting' | 'open' | 'waiting' | 'stopped';

export interface KiteMessage {
  seq: bigint;
  qos: 0 | 1;
  topic: string;
  contentType: string;
  messageId: string;
  payload: Uint8Array;
  /** The payload decoded as UTF-8. */
  text(): string;
}

export interface CommandReply {
  status: number;
  payload?: Uint8Array | string;
}

export interface KiteCommand {
  id: bigint;
  name: string;
  payload: Uint8Array;
  timeoutMs: number;
  text(): string;
}

export interface StateDetail {
  /** Why the last connection ended (a Kite reason), when it did. */
  reason?: number;
  message?: string;
  /** Milliseconds until the next attempt, in state 'waiting'. */
  retryInMs?: number;
  resumed?: boolean;
  /** The transport of the connection (state 'open') or of the next attempt. */
  transport?: Transport;
}

export type KiteEvents = {
  /** Return a Promise to delay the ack until the app is done with the message. */
  message: [KiteMessage];
  state: [ClientState, StateDetail];
  /** The first listener's return value (or Promise of it) is the reply. */
  command: [KiteCommand];
  error: [KiteError];
  welcome: [WelcomeFields];
  /** The next attempts use this transport, and why (auto mode, see KiteClientOptions.transport). */
  transport: [Transport, string];
};

const decoder = new TextDecoder();
const RETRY_WEBSOCKET_AFTER_MS = 5 * 60 * 1000;
const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const encoder = new TextEncoder();

export class KiteClient extends TypedEmitter<KiteEvents> {
  private readonly options: Required<Omit<KiteClientOptions, 'key' | 'token' | 'WebSocket' | 'zstdWasmUrl' | 'resumeStore'>> &
    KiteClientOptions;
  private readonly WebSocket: WebSocketConstructor | null;
  private transport: Transport;
  /** When auto mode moved to the HTTP fallback: WebSocket is tried again after a while. */
  private fallbackSince = 0;
  private readonly decompressor: Decompressor;
  private readonly key?: Uint8Array;
  private readonly backoff: Backoff;
  private readonly uplink: UplinkQueue;
  private readonly groups: GroupRequests;
  private resume: ResumeState = { resumeToken: new Uint8Array(0), lastReceivedSeq: 0n, storeEpoch: 0n };
  private link: Link | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** App handlers run one at a time, in arrival order, so acks stay cumulative and in order. */
  private processing: Promise<void> = Promise.resolve();
  private currentState: ClientState = 'idle';
  /** Totals over every connection of this client. */
  readonly stats: LinkStats = { framesReceived: 0, compressedFrames: 0, dictionaryFrames: 0, bytesReceived: 0 };

  constructor(options: KiteClientOptions) {
    super();
    if (!options.url || !options.deviceId) throw new Error('url and deviceId are required');
    if (!options.key === !options.token) throw new Error('give exactly one of key (hex) and token');
    if (!DEVICE_ID.test(options.deviceId) || options.deviceId.includes('..')) {
      throw new Error('deviceId: 1..128 of A-Z a-z 0-9 . _ : -, starting with a letter or digit, no ".." (docs/protocol.md 8)');
    }
    this.options = {
      keepaliveMs: 30000,
      creditWindow: 64,
      backoffInitialMs: 500,
      backoffMaxMs: 30000,
      maxQueued: 1000,
      dictionaries: [],
      maxFrame: 256 * 1024,
      transport: 'auto',
      ...options,
    };
    if (options.key) {
      this.key = hexToBytes(options.key);
      if (this.key.length !== 32) throw new Error('key must be 32 bytes (64 hex characters)');
    }
    const wanted = this.options.transport;
    this.WebSocket =
      wanted === 'sse' || wanted === 'poll' ? null : resolveWebSocket(options.WebSocket, wanted === 'auto');
    this.transport = wanted === 'poll' ? 'poll' : this.WebSocket ? 'websocket' : 'sse';
    this.decompressor = new Decompressor(this.options.dictionaries);
    this.backoff = new Backoff(this.options.backoffInitialMs, this.options.backoffMaxMs);
    this.uplink = new UplinkQueue(this.options.maxQueued);
    this.resume = fromSaved(options.resumeStore?.load()) ?? this.resume;
    this.groups = new GroupRequests(this.options.maxQueued);
  }

  get state(): ClientState {
    return this.currentState;
  }

  /** Highest downlink seq handed to the app: what the next Hello resumes from. */
  get lastReceivedSeq(): bigint {
    return this.link?.lastDelivered ?? this.resume.lastReceivedSeq;
  }

  get queuedUplinks(): number {
    return this.uplink.size;
  }

  /** Connects, and keeps reconnecting until stop() or a reason that forbids it. */
  start(): void {
    if (this.currentState !== 'idle' && this.currentState !== 'stopped') return;
    this.connect();
  }

  /** Closes with NormalClose; queued publishes are rejected. */
  stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const link = this.link;
    this.link = null;
    // A later start() resumes this session: its Hello must say what this one handed to the app.
    if (link) this.resume.lastReceivedSeq = link.lastDelivered;
    this.setState('stopped', { reason: Reason.NormalClose });
    link?.fail(Reason.NormalClose, 'client stopped');
    this.uplink.failAll(new KiteError(Reason.NormalClose, 'client stopped before the publish was acknowledged'));
    this.groups.failAll(new KiteError(Reason.NormalClose, 'client stopped before the server confirmed'));
  }

  /** Joins a group; resolves when kited confirmed, rejects when it refused. Queued while offline. */
  join(group: string): Promise<void> {
    return this.groupRequest(true, group);
  }

  /** Leaves a group, like join(). */
  leave(group: string): Promise<void> {
    return this.groupRequest(false, group);
  }

  private groupRequest(join: boolean, group: string): Promise<void> {
    if (this.currentState === 'stopped') return Promise.reject(new KiteError(Reason.NormalClose, 'client stopped'));
    const done = this.groups.add(join, group);
    this.flushUplink();
    return done;
  }

  /**
   * Queues an uplink publish. QoS 1 (the default) resolves once kited acknowledged it, after
   * reconnects if need be; QoS 0 resolves once written, and is lost if the connection is.
   */
  publish(payload: Uint8Array | string, options: PublishOptions = {}): Promise<void> {
    if (this.currentState === 'stopped') return Promise.reject(new KiteError(Reason.NormalClose, 'client stopped'));
    const bytes = typeof payload === 'string' ? encoder.encode(payload) : payload;
    const done = this.uplink.add(bytes, options);
    this.flushUplink();
    return done;
  }

  private async connect(): Promise<void> {
    this.setState('connecting', {});
    try {
      await initZstd(this.options.zstdWasmUrl);
    } catch (err) {
      this.emitError(new KiteError(Reason.Internal, `cannot load zstd: ${String(err)}`));
      return this.scheduleReconnect({ reason: Reason.Internal, message: 'zstd', reconnectAfterMs: 0, fromServer: false });
    }
    if (this.currentState !== 'connecting') return; // stopped meanwhile
    try {
      this.link = this.openLink();
    } catch (err) {
      // The WebSocket constructor throws only for what no retry can fix (a malformed URL).
      this.emitError(new KiteError(Reason.Internal, `cannot open a WebSocket to ${this.options.url}: ${String(err)}`));
      this.setState('stopped', { reason: Reason.Internal, message: String(err) });
    }
  }

  private openLink(): Link {
    const link: Link = new Link(
      {
        url: this.options.url,
        deviceId: this.options.deviceId,
        key: this.key,
        token: this.options.token,
        keepaliveMs: this.options.keepaliveMs,
        creditWindow: this.options.creditWindow,
        maxFrame: this.options.maxFrame,
        agent: AGENT,
        ackEvery: 16,
        ackDelayMs: 20,
        WebSocket: this.socketClass(),
        decompressor: this.decompressor,
      },
      { ...this.resume },
      {
        opened: (welcome) => this.onOpened(link, welcome),
        deliver: (publish, ackSeq) => this.onDeliver(link, publish, ackSeq),
        command: (request) => this.onCommand(link, request),
        uplinkAcked: (seq) => this.uplink.ackThrough(seq),
        uplinkWritable: () => this.flushUplink(),
        refused: (ref, error) => this.onRefused(ref, error),
        groupsConfirmed: (requestId) => this.groups.confirm(requestId),
        closed: (info) => this.onClosed(link, info),
      },
      this.stats,
    );
    return link;
  }

  private onOpened(link: Link, welcome: WelcomeFields): void {
    this.resume = {
      resumeToken: welcome.resumeToken,
      storeEpoch: welcome.storeEpoch,
      lastReceivedSeq: welcome.resumed ? this.resume.lastReceivedSeq : 0n,
    };
    this.saveResume(this.resume);
    this.uplink.onWelcome(welcome.resumed, welcome.lastReceivedSeq);
    this.groups.resendAll();
    this.backoff.reset();
    this.setState('open', { resumed: welcome.resumed, transport: this.transport });
    this.emit('welcome', welcome);
    if (this.link === link) this.flushUplink();
  }

  private onDeliver(link: Link, publish: IncomingPublish, ackSeq: bigint): void {
    const message: KiteMessage = { ...publish, text: () => decoder.decode(publish.payload) };
    this.processing = this.processing.then(async () => {
      try {
        await Promise.all(this.emit('message', message));
      } catch (err) {
        // The message still counts as processed: redelivering it would loop on the same failure.
        this.emitError(new KiteError(Reason.Internal, `message handler failed: ${String(err)}`));
      }
      link.processed(ackSeq);
      // Saved once processed: after a reload, a message whose handler did not finish comes again.
      if (publish.qos === 1 && this.link === link) this.saveResume({ ...this.resume, lastReceivedSeq: ackSeq });
    });
  }

  private onCommand(link: Link, request: CommandRequest): void {
    const command: KiteCommand = { ...request, text: () => decoder.decode(request.payload) };
    const reply = async (): Promise<CommandReply> => {
      if (this.listenerCount('command') === 0) return { status: 501, payload: 'no command handler' };
      const [first] = this.emit('command', command);
      return (await first) as CommandReply;
    };
    reply()
      .catch((err: unknown) => ({ status: 500, payload: String(err) }))
      .then((answer) => {
        const payload = typeof answer?.payload === 'string' ? encoder.encode(answer.payload) : answer?.payload;
        // A reply for a connection that is gone is dropped: kited times the command out.
        link.sendReply(request.id, answer?.status ?? 0, payload ?? new Uint8Array(0));
      });
  }

  private onRefused(ref: bigint, error: KiteError): void {
    // Non-fatal errors name an uplink seq (QueueFull, NotFound) or a request; the session stays.
    if (!this.groups.refuse(ref, error)) this.uplink.refuse(ref, error);
    this.emitError(error);
  }

  private onClosed(link: Link, info: CloseInfo): void {
    if (this.link !== link) return; // stop() already moved on
    // The link's window is the one record of what was handed to the app on this session; a handler
    // of an older session finishing late must not move it (after a fresh session it would be wrong).
    this.resume.lastReceivedSeq = link.lastDelivered;
    this.link = null;
    if (info.reason !== Reason.NormalClose) {
      this.emitError(new KiteError(info.reason, info.message || 'connection closed'));
    }
    if (info.fromServer && !reconnectAllowed(info.reason)) {
      this.setState('stopped', { reason: info.reason, message: info.message });
      this.uplink.failAll(new KiteError(info.reason, 'the server ended the session for good'));
      this.groups.failAll(new KiteError(info.reason, 'the server ended the session for good'));
      return;
    }
    this.chooseTransport(link, info);
    this.scheduleReconnect(info);
  }

  /** What the next connection opens: a WebSocket, or one of the HTTP fallback's tunnels. */
  private socketClass(): WebSocketConstructor {
    if (this.transport === 'websocket' && this.WebSocket) return this.WebSocket;
    return this.transport === 'poll' ? PollTunnel : SseTunnel;
  }

  /**
   * Auto mode: a transport that could not open sends the next attempt over the next one, round
   * a circle (WebSocket, event stream, long-poll): blocked upgrades land on the stream, proxies
   * that hold responses back on long-poll, and while kited is down they take turns. After 5
   * minutes on the fallback a WebSocket is tried again.
   */
  private chooseTransport(link: Link, info: CloseInfo): void {
    if (this.options.transport !== 'auto') return;
    const fallbackOnly = !this.WebSocket; // Node 18 without ws: the stream and long-poll
    if (!link.socketOpened) {
      const why = `(${info.message})`;
      if (this.transport === 'websocket') {
        this.fallbackSince = Date.now();
        return this.switchTransport('sse', `the WebSocket could not open ${why}: trying the HTTP fallback's event stream`);
      }
      if (this.transport === 'sse') return this.switchTransport('poll', `the event stream could not open ${why}: trying long-polling`);
      if (fallbackOnly) return this.switchTransport('sse', `long-polling could not open ${why}: trying the event stream again`);
      return this.switchTransport('websocket', `long-polling could not open either ${why}: trying a WebSocket again`);
    }
    if (!fallbackOnly && this.transport !== 'websocket' && Date.now() - this.fallbackSince > RETRY_WEBSOCKET_AFTER_MS) {
      this.switchTransport('websocket', 'trying a WebSocket again after 5 minutes on the HTTP fallback');
    }
  }

  private switchTransport(transport: Transport, why: string): void {
    this.transport = transport;
    this.emit('transport', transport, why);
  }

  private scheduleReconnect(info: CloseInfo): void {
    if (this.currentState === 'stopped') return;
    const delay = this.backoff.next(info.reconnectAfterMs);
    this.setState('waiting', { reason: info.reason, message: info.message, retryInMs: delay, transport: this.transport });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  private flushUplink(): void {
    const link = this.link;
    if (!link?.isOpen) return;
    for (const request of this.groups.takeUnsent()) link.sendGroupRequest(request.join, request.id, request.group);
    for (const publish of this.uplink.takeSendable(link.credit)) {
      try {
        link.sendPublish(publish);
      } catch (err) {
        if (err instanceof KiteError) this.uplink.refuse(publish.seq, err);
        this.emitError(err instanceof KiteError ? err : new KiteError(Reason.Internal, String(err)));
      }
    }
  }

  private saveResume(state: ResumeState): void {
    try {
      this.options.resumeStore?.save(toSaved(state));
    } catch (err) {
      this.emitError(new KiteError(Reason.Internal, `resumeStore.save failed: ${String(err)}`));
    }
  }

  private setState(state: ClientState, detail: StateDetail): void {
    this.currentState = state;
    this.emit('state', state, detail);
  }

  private emitError(error: KiteError): void {
    this.emit('error', error);
  }
}

export { reasonName };
