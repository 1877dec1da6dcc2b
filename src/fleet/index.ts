// psremote/fleet: psremote jobs on BullMQ and Redis (docs/fleet.md). One job is
// one host and one script; workers run them crash-safely through disconnected
// sessions and their handles; the producer streams each host's result back.

export { parseFleetJob, type FleetClaim, type FleetJob, type FleetResult } from './job.js';
export { redisOptions } from './redis-url.js';
export { runFleetJob, type JobContext } from './run-job.js';
export { DEFAULT_QUEUE, fleetKeys, startFleetWorker, type FleetWorker, type FleetWorkerOptions } from './worker.js';
export { runOnFleet, type EnqueueOptions } from './producer.js';
export { RedisSessionStore } from '../session/redis-store.js';
export { FileSessionStore } from '../session/store.js';
export type { SessionHandle, SessionStore } from '../session/handle.js';
