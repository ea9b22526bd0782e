// Joining and leaving groups (Subscribe / Unsubscribe, protocol.md 4.9 and 6.10), as the C++ SDK
// does it: requests queue while offline and go again on each new connection until confirmed.
import { KiteError, Reason } from './errors';

/** Far above any uplink seq, so an Error's `ref` names either a request or a publish, never both. */
const FIRST_REQUEST_ID = 1n << 62n;

export interface GroupRequest {
  id: bigint;
  join: boolean;
  group: string;
  sent: boolean;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class GroupRequests {
  private requests: GroupRequest[] = [];
  private nextId = FIRST_REQUEST_ID;

  constructor(private readonly maxQueued: number) {}

  add(join: boolean, group: string): Promise<void> {
    if (!group || group.length > 128) return Promise.reject(new KiteError(Reason.LimitExceeded, 'a group name is 1..128 bytes'));
    if (this.requests.length >= this.maxQueued) {
      return Promise.reject(new KiteError(Reason.QueueFull, 'too many group requests waiting'));
    }
    return new Promise((resolve, reject) => {
      this.requests.push({ id: this.nextId++, join, group, sent: false, resolve, reject });
    });
  }

  /** Requests not yet written on this connection; marked sent. */
  takeUnsent(): GroupRequest[] {
    const unsent = this.requests.filter((r) => !r.sent);
    for (const request of unsent) request.sent = true;
    return unsent;
  }

  /** A new connection: the server may not have seen what went on the old one. */
  resendAll(): void {
    for (const request of this.requests) request.sent = false;
  }

  confirm(id: bigint): void {
    this.settle(id)?.resolve();
  }

  /** True when `ref` named a group request (then it is rejected), false if it names something else. */
  refuse(id: bigint, error: KiteError): boolean {
    const request = this.settle(id);
    request?.reject(error);
    return request !== undefined;
  }

  failAll(error: Error): void {
    const requests = this.requests;
    this.requests = [];
    for (const request of requests) request.reject(error);
  }

  private settle(id: bigint): GroupRequest | undefined {
    const index = this.requests.findIndex((r) => r.id === id);
    return index < 0 ? undefined : this.requests.splice(index, 1)[0];
  }
}
