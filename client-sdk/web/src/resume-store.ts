// Keeping the session across a page reload or process restart: the app hands the client a store
// (localStorage in a browser, a file in Node) and the client saves what the next Hello needs.
import { bytesToHex, hexToBytes } from './crypto';
import type { ResumeState } from './link';

/** JSON-friendly: strings only, so localStorage.setItem(key, JSON.stringify(saved)) just works. */
export interface SavedSession {
  resumeToken: string;
  storeEpoch: string;
  lastReceivedSeq: string;
}

export interface ResumeStore {
  load(): SavedSession | null | undefined;
  save(session: SavedSession): void;
}

export function toSaved(state: ResumeState): SavedSession {
  return {
    resumeToken: bytesToHex(state.resumeToken),
    storeEpoch: state.storeEpoch.toString(),
    lastReceivedSeq: state.lastReceivedSeq.toString(),
  };
}

/** A saved session that does not parse is ignored: the client starts a fresh session instead. */
export function fromSaved(saved: SavedSession | null | undefined): ResumeState | null {
  if (!saved) return null;
  try {
    return {
      resumeToken: hexToBytes(saved.resumeToken),
      storeEpoch: BigInt(saved.storeEpoch),
      lastReceivedSeq: BigInt(saved.lastReceivedSeq),
    };
  } catch {
    return null;
  }
}

/** A ResumeStore over the Web Storage API (window.localStorage), for browsers. */
export function webStorageResumeStore(storage: Storage, key: string): ResumeStore {
  return {
    load: () => {
      const text = storage.getItem(key);
      return text ? (JSON.parse(text) as SavedSession) : null;
    },
    save: (session) => storage.setItem(key, JSON.stringify(session)),
  };
}
