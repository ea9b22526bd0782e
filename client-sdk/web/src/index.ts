// Public surface of @kite/web.
export { KiteClient, AGENT } from './client';
export type { Transport, KiteClientOptions, KiteMessage, KiteCommand, CommandReply, ClientState, StateDetail, KiteEvents } from './client';
export type { PublishOptions } from './uplink-queue';
export { KiteError, Reason, reasonName, reconnectAllowed } from './errors';
export { dictionaryId } from './zstd';
export type { LinkStats } from './link';
export type { WelcomeFields } from './codec';
export { webStorageResumeStore } from './resume-store';
export type { ResumeStore, SavedSession } from './resume-store';
