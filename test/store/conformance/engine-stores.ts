/** The part of QueueStore the engine-state conformance files (profiles, breaker events, shared settings, workers) use. */
import type { QueueStore } from '../../../src/main/queue/store'

export type EngineStateStore = Pick<
  QueueStore,
  | 'enqueue'
  | 'claim'
  | 'settle'
  | 'listProfiles'
  | 'saveProfile'
  | 'removeProfile'
  | 'setProfileSecret'
  | 'resealProfileSecrets'
  | 'profileSecrets'
  | 'recordBreakerEvent'
  | 'breakerEventsAfter'
  | 'lastBreakerEventId'
  | 'breakerHistory'
  | 'breakerCounts'
  | 'sharedSettings'
  | 'setSharedSetting'
  | 'workers'
  | 'close'
>
