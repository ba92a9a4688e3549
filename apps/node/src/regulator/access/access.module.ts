import { Global, Inject, Module, RequestMethod, type MiddlewareConsumer, type NestModule, type OnApplicationShutdown } from '@nestjs/common';
import { resolve } from 'node:path';
import type { NodeConfig } from '../../config/node-config';
import { NODE_CONFIG } from '../../infrastructure/tokens';
import { AuditTrailStore } from '../audit/audit-trail.store';
import { AccessMiddleware } from './access.middleware';
import { AUDIT_TRAIL, PRINCIPAL_DIRECTORY } from './access.tokens';
import { PrincipalDirectory } from './principals';

/** Bearer-token principals and the durable access audit trail (`audit.sqlite` in the data folder), for every guarded surface. */
@Global()
@Module({
  providers: [
    { provide: PRINCIPAL_DIRECTORY, useFactory: (config: NodeConfig) => new PrincipalDirectory(config), inject: [NODE_CONFIG] },
    { provide: AUDIT_TRAIL, useFactory: (config: NodeConfig) => new AuditTrailStore(resolve(config.dataDir, 'audit.sqlite')), inject: [NODE_CONFIG] },
    AccessMiddleware,
  ],
  exports: [PRINCIPAL_DIRECTORY, AUDIT_TRAIL],
})
export class AccessModule implements NestModule, OnApplicationShutdown {
  constructor(@Inject(AUDIT_TRAIL) private readonly trail: AuditTrailStore) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(AccessMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }

  onApplicationShutdown(): void {
    this.trail.close();
  }
}
