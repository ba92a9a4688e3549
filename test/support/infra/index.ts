/** Real servers for tests, started on loopback by the suites themselves (spec/test-infrastructure.md). */
export { startRedis, redisPing } from './redis';
export type { RedisServer, StartRedisOptions } from './redis';
export { startKafkaBroker, buildMockBroker } from './kafka';
export type { KafkaBroker, KafkaTopic, StartKafkaBrokerOptions, BuildMockBrokerOptions } from './kafka';
export { waitFor, withTimeout, sleep } from './wait';
export type { WaitForOptions } from './wait';
export { freePort, canConnect, parseHostPort } from './net';
export { processExists } from './process';
