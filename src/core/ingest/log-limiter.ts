/** The limiter moved to src/core/log-limiter.ts (the core's outputs use it too); inputs keep importing it from here. */
export { LOG_BURST, LOG_INTERVAL_MS, LogLimiter } from '../log-limiter.ts';
