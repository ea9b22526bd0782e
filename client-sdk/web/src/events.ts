// A small typed emitter whose emit() returns what listeners return, so a message listener can
// hand back a Promise the client waits for before acknowledging, and a command listener a reply.

type Listener<A extends unknown[]> = (...args: A) => unknown;

export class TypedEmitter<Events extends { [K in keyof Events]: unknown[] }> {
  private listeners: { [K in keyof Events]?: Listener<Events[K]>[] } = {};

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    (this.listeners[event] ??= []).push(listener);
    return this;
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    this.listeners[event] = this.listeners[event]?.filter((l) => l !== listener);
    return this;
  }

  listenerCount<K extends keyof Events>(event: K): number {
    return this.listeners[event]?.length ?? 0;
  }

  /** Calls every listener; a throwing listener does not stop the others. */
  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): unknown[] {
    const results: unknown[] = [];
    for (const listener of this.listeners[event] ?? []) {
      try {
        results.push(listener(...args));
      } catch (err) {
        results.push(Promise.reject(err));
      }
    }
    return results;
  }
}
