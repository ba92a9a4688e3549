import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { NodeConfig } from '../config/node-config';
import { CorridorAggregate } from '../corridors/corridor-aggregate';
import { NODE_CONFIG } from '../infrastructure/tokens';
import { PRINCIPAL_DIRECTORY } from '../regulator/access/access.tokens';
import { accessMatrix } from './access-matrix';
import { PrincipalDirectory } from './bearer-tokens';
import { NonceCache } from './nonce-cache';
import { operatorTokenMap } from './operator-token';
import { MemoryRateLimiter, RedisRateLimiter, type RateLimiter } from './rate-limiter';
import { SecurityGate } from './security-gate';
import { SignedPrincipals } from './signed-principals';
import { ACCESS_MATRIX, NONCE_CACHE, RATE_LIMITER } from './tokens';

const logger = new Logger('Security');

/**
 * Principals, the role matrix and the gate that enforces it on every request (spec/security.md). Global: the
 * bootstrap mounts the gate, and handlers may ask who a request was allowed as (`principalOf`).
 */
@Global()
@Module({
  providers: [
    CorridorAggregate,
    { provide: ACCESS_MATRIX, useFactory: () => accessMatrix() },
    {
      provide: PRINCIPAL_DIRECTORY,
      inject: [NODE_CONFIG],
      useFactory: (config: NodeConfig) =>
        new PrincipalDirectory({
          operatorTokens: operatorTokenMap(config, (m) => logger.log(m)),
          adminTokens: config.adminTokens,
          regulatorTokens: config.regulatorTokens,
          auditorTokens: config.auditorTokens,
        }),
    },
    { provide: NONCE_CACHE, inject: [NODE_CONFIG], useFactory: (config: NodeConfig) => new NonceCache(config.requestSignatureWindowSeconds) },
    {
      provide: RATE_LIMITER,
      inject: [NODE_CONFIG],
      useFactory: async (config: NodeConfig): Promise<RateLimiter> =>
        config.rateLimitStore === 'redis'
          ? RedisRateLimiter.connect({ url: config.redisUrl!, prefix: config.redisPrefix, warn: (m) => logger.warn(m) })
          : new MemoryRateLimiter(),
    },
    SignedPrincipals,
    SecurityGate,
  ],
  exports: [PRINCIPAL_DIRECTORY, SecurityGate, SignedPrincipals],
})
export class SecurityModule implements OnApplicationShutdown {
  constructor(@Inject(RATE_LIMITER) private readonly limiter: RateLimiter) {}

  async onApplicationShutdown(): Promise<void> {
    await this.limiter.close();
  }
}
