// The bounded offline queue of uplink publishes. QoS 1 entries stay until the server acks them and
// are resent after a reconnect; QoS 0 entries leave once written (at most once, never resent).
import { KiteError, Reason } from './errors';
import type { OutgoingPublish } from './codec';

export interface PublishOptions {
  qos?: 0 | 1;
  topic?: string;
  contentType?: string;
  ttlMs?: number;
  messageId?: string;
}

interface Entry {
  publish: OutgoingPublish;
  sent: boolean;
  settle: (err?: Error) => void;
}

export class UplinkQueue {
  private entries: Entry[] = [];
  /** The seq the next QoS 1 publish takes; 0 until the first Welcome numbered the session. */
  private nextSeq = 1n;
  private lastQos1Seq = 0n;

  constructor(private readonly maxQueued: number) {}

  get size(): number {
    return this.entries.length;
  }

  /** Resolves when a QoS 1 publish is acked, or a QoS 0 one was written to a connection. */
  add(payload: Uint8Array, options: PublishOptions): Promise<void> {
    if (this.entries.length >= this.maxQueued) {
      return Promise.reject(new KiteError(Reason.QueueFull, `uplink queue holds ${this.maxQueued} messages already`));
    }
    return new Promise((resolve, reject) => {
      const qos = options.qos ?? 1;
      const publish: OutgoingPublish = { ...options, qos, payload, seq: 0n };
      if (qos === 1) publish.seq = this.nextSeq++;
      this.entries.push({ publish, sent: false, settle: (err) => (err ? reject(err) : resolve()) });
    });
  }

  /**
   * A Welcome arrived (protocol.md 6.6). Resumed: the server holds everything up to its
   * last_received_seq, so those entries are done and numbering continues. Not resumed: the
   * server's history restarts, so everything still queued is renumbered after its seq.
   * In both cases every entry left is (re)sent on the new connection.
   */
  onWelcome(resumed: boolean, serverLastReceived: bigint): void {
    if (resumed) {
      this.ackThrough(serverLastReceived);
      if (this.nextSeq <= serverLastReceived) this.nextSeq = serverLastReceived + 1n;
    } else {
      this.nextSeq = serverLastReceived + 1n;
      for (const entry of this.entries) if (entry.publish.qos === 1) entry.publish.seq = this.nextSeq++;
    }
    this.lastQos1Seq = 0n;
    for (const entry of this.entries) entry.sent = false;
  }

  /** Entries to write now, in order, at most `credit` of them; QoS 0 ones leave the queue. */
  takeSendable(credit: number): OutgoingPublish[] {
    const out: OutgoingPublish[] = [];
    for (const entry of this.entries) {
      if (out.length >= credit) break;
      if (entry.sent) continue;
      entry.sent = true;
      if (entry.publish.qos === 1) this.lastQos1Seq = entry.publish.seq;
      else entry.publish.seq = this.lastQos1Seq; // QoS 0 carries the last QoS 1 seq, for order
      out.push(entry.publish);
    }
    const written = this.entries.filter((e) => e.sent && e.publish.qos === 0);
    this.entries = this.entries.filter((e) => !(e.sent && e.publish.qos === 0));
    for (const entry of written) entry.settle();
    return out;
  }

  /** Cumulative ack from the server. */
  ackThrough(seq: bigint): void {
    const done = this.entries.filter((e) => e.publish.qos === 1 && e.publish.seq <= seq);
    this.entries = this.entries.filter((e) => !done.includes(e));
    for (const entry of done) entry.settle();
  }

  /** The server refused one QoS 1 publish (Error with ref = seq): it will never be acked. */
  refuse(seq: bigint, error: KiteError): boolean {
    const index = this.entries.findIndex((e) => e.publish.qos === 1 && e.publish.seq === seq);
    if (index < 0) return false;
    const [entry] = this.entries.splice(index, 1);
    entry.settle(error);
    return true;
  }

  /** stop(): nothing queued will be sent any more. */
  failAll(error: Error): void {
    const entries = this.entries;
    this.entries = [];
    for (const entry of entries) entry.settle(error);
  }
}
