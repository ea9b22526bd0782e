// One connection: the WebSocket, the handshake (protocol.md 5) and the open session's flow control
// (acks, credit, keep-alive; section 6). The client above it owns what survives a reconnect.
import * as codec from './codec';
import type { Incoming, IncomingPublish, WelcomeFields } from './codec';
import { computeProofs, equalBytes, randomBytes } from './crypto';
import { KiteError, Reason, reasonName } from './errors';
import { FLAG_COMPRESSED, FrameReader, HANDSHAKE_MAX_BODY, RawFrame } from './frame';
import { ReceiveWindow } from './receive-window';
import { KiteSocket, messageBytes, OPEN, SUBPROTOCOL, WebSocketConstructor } from './socket';
import { Decompressor } from './zstd';

const MAX_CREDIT = 65536;
const DEFAULT_CREDIT = 64;
const HANDSHAKE_TIMEOUT_MS = 10000;
const KEEPALIVE_FACTOR = 1.5;

export interface LinkConfig {
  url: string;
  deviceId: string;
  key?: Uint8Array;
  token?: string;
  keepaliveMs: number;
  creditWindow: number;
  maxFrame: number;
  agent: string;
  ackEvery: number;
  ackDelayMs: number;
  WebSocket: WebSocketConstructor;
  decompressor: Decompressor;
}

export interface ResumeState {
  resumeToken: Uint8Array;
  lastReceivedSeq: bigint;
  storeEpoch: bigint;
}

export interface CloseInfo {
  reason: number;
  message: string;
  reconnectAfterMs: number;
  /** The server said so (Goaway or a fatal Error), rather than the socket just ending. */
  fromServer: boolean;
}

/** Counters the app (and the tests) can read to see what arrived and how. */
export interface LinkStats {
  framesReceived: number;
  compressedFrames: number;
  dictionaryFrames: number;
  bytesReceived: number;
}

export interface CommandRequest {
  id: bigint;
  name: string;
  payload: Uint8Array;
  timeoutMs: number;
}

export interface LinkHooks {
  opened(welcome: WelcomeFields): void;
  /**
   * A publish for the app; the client calls link.processed(ackSeq) when the app is done. For QoS 0
   * ackSeq is the last QoS 1 seq delivered, not the publish's own field (protocol.md 6.2).
   */
  deliver(publish: IncomingPublish, ackSeq: bigint): void;
  command(request: CommandRequest): void;
  uplinkAcked(seq: bigint): void;
  uplinkWritable(): void;
  refused(ref: bigint, error: KiteError): void;
  groupsConfirmed(requestId: bigint): void;
  closed(info: CloseInfo): void;
}

type LinkState = 'connecting' | 'hello-sent' | 'auth-sent' | 'open' | 'closed';

export class Link {
  private socket: KiteSocket;
  private state: LinkState = 'connecting';
  private readonly reader = new FrameReader();
  private clientNonce?: Uint8Array;
  private expectedServerProof?: Uint8Array;
  private window?: ReceiveWindow;
  private uplinkCredit = 0;
  private highestSentSeq = 0n;
  private keepaliveMs = 0;
  private lastSentAt = Date.now();
  private lastReceivedAt = Date.now();
  private timers: ReturnType<typeof setTimeout>[] = [];
  private ackTimer: ReturnType<typeof setTimeout> | null = null;
  /** Frames are handled one at a time: a Challenge awaits WebCrypto before the next frame. */
  private inbox: Promise<void> = Promise.resolve();
  peerMaxFrame = 65536;
  rttMs?: number;

  constructor(
    private readonly config: LinkConfig,
    private readonly resume: ResumeState,
    private readonly hooks: LinkHooks,
    private readonly stats: LinkStats,
  ) {
    this.socket = new config.WebSocket(config.url, SUBPROTOCOL);
    this.socket.binaryType = 'arraybuffer';
    this.socket.onopen = () => {
      this.socketOpened = true;
      this.sendHello();
    };
    this.socket.onmessage = (event) => this.onData(event.data);
    this.socket.onerror = () => {}; // the close event that follows carries what we report
    this.socket.onclose = (event) => this.onSocketClosed(event.code, event.reason);
    this.timers.push(setTimeout(() => this.fail(Reason.HandshakeTimeout, 'no Welcome in time'), HANDSHAKE_TIMEOUT_MS));
  }

  /** The transport itself opened (a WebSocket's upgrade, the HTTP fallback's stream went through). */
  socketOpened = false;

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get credit(): number {
    return this.uplinkCredit;
  }

  get lastDelivered(): bigint {
    return this.window?.delivered ?? this.resume.lastReceivedSeq;
  }

  private sendHello(): void {
    const { config } = this;
    if (!config.token) this.clientNonce = randomBytes(32);
    this.write(
      codec.encodeHello({
        deviceId: config.deviceId,
        token: config.token,
        clientNonce: this.clientNonce,
        keepaliveMs: config.keepaliveMs,
        maxFrame: config.maxFrame,
        credit: config.creditWindow,
        resumeToken: this.resume.resumeToken,
        lastReceivedSeq: this.resume.lastReceivedSeq,
        storeEpoch: this.resume.storeEpoch,
        dictionaries: config.decompressor.dictionaryIds,
        agent: config.agent,
      }),
    );
    this.state = 'hello-sent';
  }

  private onData(data: unknown): void {
    if (this.state === 'closed') return;
    this.lastReceivedAt = Date.now();
    const bytes = messageBytes(data);
    if (bytes) this.stats.bytesReceived += bytes.length;
    if (!bytes) {
      this.closeSocket(1003, 'text messages are not Kite traffic');
      this.finish({ reason: Reason.InvalidBody, message: 'text WebSocket message', reconnectAfterMs: 0, fromServer: false });
      return;
    }
    let frames: RawFrame[];
    try {
      frames = this.reader.push(bytes);
    } catch (err) {
      this.failWith(err);
      return;
    }
    for (const frame of frames) {
      this.inbox = this.inbox.then(() => this.handleFrame(frame)).catch((err) => this.failWith(err));
    }
  }

  private async handleFrame(frame: RawFrame): Promise<void> {
    if (this.state === 'closed') return;
    let body = frame.body;
    this.stats.framesReceived++;
    if (frame.flags & FLAG_COMPRESSED) {
      this.stats.compressedFrames++;
      if (frame.dictionary !== 0) this.stats.dictionaryFrames++;
      body = this.config.decompressor.decompress(body, frame.dictionary, this.reader.maxBody);
    }
    const message = codec.decodeBody(body);
    if (this.state === 'open') this.onOpenMessage(message);
    else await this.onHandshakeMessage(message);
  }

  private async onHandshakeMessage(message: Incoming): Promise<void> {
    switch (message.type) {
      case 'challenge':
        return this.onChallenge(message.serverNonce);
      case 'welcome':
        return this.onWelcome(message.welcome);
      case 'goaway':
      case 'error':
        return this.onServerClose(message);
      default:
        throw new KiteError(Reason.UnexpectedMessage, `${message.type} during the handshake`);
    }
  }

  private async onChallenge(serverNonce: Uint8Array): Promise<void> {
    if (this.state !== 'hello-sent' || !this.config.key || !this.clientNonce) {
      throw new KiteError(Reason.UnexpectedMessage, 'Challenge not expected');
    }
    if (serverNonce.length !== 32) throw new KiteError(Reason.LimitExceeded, 'server nonce is not 32 bytes');
    const proofs = await computeProofs(this.config.key, this.config.deviceId, this.clientNonce, serverNonce);
    this.expectedServerProof = proofs.server;
    this.write(codec.encodeAuth(proofs.client));
    this.state = 'auth-sent';
  }

  private onWelcome(welcome: WelcomeFields): void {
    const hmac = !this.config.token;
    if (hmac && this.state !== 'auth-sent') throw new KiteError(Reason.UnexpectedMessage, 'Welcome before Auth');
    if (hmac && !equalBytes(welcome.serverProof, this.expectedServerProof!)) {
      throw new KiteError(Reason.AuthFailed, 'server proof does not match the device key');
    }
    if (welcome.resumeToken.length > 64) throw new KiteError(Reason.LimitExceeded, 'resume token above 64 bytes');
    if (welcome.dictionary !== 0 && !this.config.decompressor.holds(welcome.dictionary)) {
      throw new KiteError(Reason.UnknownDictionary, `Welcome names dictionary ${welcome.dictionary}, not held`);
    }
    this.clearTimers();
    this.state = 'open';
    this.reader.maxBody = Math.max(this.config.maxFrame, HANDSHAKE_MAX_BODY);
    this.peerMaxFrame = clampPeerMaxFrame(welcome.maxFrame);
    this.uplinkCredit = Math.min(welcome.credit || DEFAULT_CREDIT, MAX_CREDIT);
    const lastDelivered = welcome.resumed ? this.resume.lastReceivedSeq : 0n;
    this.window = new ReceiveWindow(
      { window: this.config.creditWindow, ackEvery: this.config.ackEvery, ackDelayMs: this.config.ackDelayMs },
      lastDelivered,
    );
    this.keepaliveMs = Math.max(welcome.keepaliveMs, 1);
    this.startKeepalive();
    this.hooks.opened(welcome);
  }

  private onOpenMessage(message: Incoming): void {
    switch (message.type) {
      case 'publish':
        return this.onPublish(message.publish);
      case 'ack':
        if (message.seq > this.highestSentSeq) throw new KiteError(Reason.InvalidAck, `ack ${message.seq} above what was sent`);
        return this.hooks.uplinkAcked(message.seq);
      case 'credit':
        if (message.grant === 0 || this.uplinkCredit + message.grant > MAX_CREDIT) {
          throw new KiteError(Reason.LimitExceeded, `credit grant ${message.grant}`);
        }
        this.uplinkCredit += message.grant;
        return this.hooks.uplinkWritable();
      case 'ping':
        return this.write(codec.encodePong(message.token));
      case 'pong':
        this.rttMs = Date.now() - Number(message.token);
        return;
      case 'command':
        if (message.id === 0n) throw new KiteError(Reason.InvalidId, 'command id 0');
        return this.hooks.command(message);
      case 'goaway':
      case 'error':
        return this.onServerClose(message);
      case 'groups':
        return this.hooks.groupsConfirmed(message.requestId);
      default:
        throw new KiteError(Reason.UnexpectedMessage, `${message.type} in an open session`);
    }
  }

  private onPublish(publish: IncomingPublish): void {
    const window = this.window!;
    const verdict = publish.qos === 1 ? window.onPublish(publish.seq, Date.now()) : window.onUnsequenced();
    if (verdict === 'no-credit') throw new KiteError(Reason.CreditExceeded, 'publish without credit');
    if (verdict === 'deliver') this.hooks.deliver(publish, window.delivered);
    this.flushAcks();
  }

  private onServerClose(message: Extract<Incoming, { type: 'goaway' | 'error' }>): void {
    if (message.type === 'error' && message.ref !== 0n && this.state === 'open') {
      this.hooks.refused(message.ref, new KiteError(message.reason, message.message || `about ${message.ref}`));
      return;
    }
    const reconnectAfterMs = message.type === 'goaway' ? message.reconnectAfterMs : 0;
    this.closeSocket(1000, 'peer closed');
    this.finish({ reason: message.reason, message: message.message, reconnectAfterMs, fromServer: true });
  }

  /** The app is done with every publish up to `seq`: ack and refill credit as they fall due. */
  processed(seq: bigint): void {
    if (this.state !== 'open') return;
    this.window!.onProcessed(seq, Date.now());
    this.flushAcks();
  }

  private flushAcks(): void {
    if (this.state !== 'open') return;
    const due = this.window!.takeDue(Date.now());
    if (due.ack !== undefined) this.write(codec.encodeAck(due.ack));
    if (due.credit !== undefined) this.write(codec.encodeCredit(due.credit));
    const deadline = this.window!.deadline;
    if (deadline !== null && !this.ackTimer) {
      this.ackTimer = setTimeout(() => {
        this.ackTimer = null;
        this.flushAcks();
      }, Math.max(deadline - Date.now(), 0));
    }
  }

  /** Writes a publish if there is credit; false leaves it for uplinkWritable(). */
  sendPublish(publish: codec.OutgoingPublish): boolean {
    if (this.state !== 'open' || this.uplinkCredit === 0) return false;
    if (publish.payload.length + 256 > this.peerMaxFrame) {
      throw new KiteError(Reason.FrameTooLarge, `publish of ${publish.payload.length} bytes above the server's max_frame`);
    }
    this.uplinkCredit--;
    if (publish.qos === 1 && publish.seq > this.highestSentSeq) this.highestSentSeq = publish.seq;
    this.write(codec.encodePublish(publish));
    return true;
  }

  sendGroupRequest(join: boolean, requestId: bigint, group: string): void {
    if (this.state === 'open') this.write(codec.encodeGroupRequest(join, requestId, [group]));
  }

  sendReply(id: bigint, status: number, payload: Uint8Array): void {
    if (this.state === 'open') this.write(codec.encodeReply(id, status, payload));
  }

  private startKeepalive(): void {
    const tick = Math.max(Math.floor(this.keepaliveMs / 4), 10);
    const timer = setInterval(() => {
      const now = Date.now();
      if (now - this.lastReceivedAt >= this.keepaliveMs * KEEPALIVE_FACTOR) {
        this.fail(Reason.KeepaliveTimeout, `nothing received for ${now - this.lastReceivedAt} ms`);
      } else if (now - this.lastSentAt >= this.keepaliveMs) {
        this.write(codec.encodePing(BigInt(now)));
      }
    }, tick);
    this.timers.push(timer as unknown as ReturnType<typeof setTimeout>);
  }

  private write(frame: Uint8Array): void {
    if (this.socket.readyState !== OPEN) return;
    this.lastSentAt = Date.now();
    this.socket.send(frame);
  }

  /** Ends the connection from our side: Error{reason} first, then Close 4000 + reason. */
  fail(reason: number, message: string): void {
    if (this.state === 'closed') return;
    this.write(codec.encodeError(reason, message));
    this.closeSocket(reason === Reason.NormalClose ? 1000 : 4000 + reason, reasonName(reason));
    this.finish({ reason, message, reconnectAfterMs: 0, fromServer: false });
  }

  private failWith(err: unknown): void {
    if (err instanceof KiteError) this.fail(err.reason, err.message);
    else this.fail(Reason.Internal, String(err));
  }

  private onSocketClosed(code: number, reason: string): void {
    if (this.state === 'closed') return;
    // A close code 4000 + reason carries a Kite reason the server may not have sent as a frame.
    let kiteReason: number = this.reader.midFrame ? Reason.TruncatedFrame : Reason.NormalClose;
    if (code >= 4000 && code < 5000) kiteReason = code - 4000;
    const message = reason || `WebSocket closed with code ${code}`;
    this.finish({ reason: kiteReason, message, reconnectAfterMs: 0, fromServer: code >= 4000 });
  }

  private closeSocket(code: number, reason: string): void {
    try {
      this.socket.close(code, reason.slice(0, 120));
    } catch {
      // already closing: nothing more to say to the peer
    }
  }

  private finish(info: CloseInfo): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.clearTimers();
    this.socket.onmessage = null;
    this.hooks.closed(info);
  }

  private clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer), clearInterval(timer);
    this.timers = [];
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
  }
}

/** The peer's max_frame, as protocol.md 2.3 says to keep it: 0 is 64 KiB, clamped to [8 KiB, 16 MiB]. */
function clampPeerMaxFrame(announced: number): number {
  if (announced === 0) return 65536;
  return Math.min(Math.max(announced, HANDSHAKE_MAX_BODY), 16 * 1024 * 1024);
}
