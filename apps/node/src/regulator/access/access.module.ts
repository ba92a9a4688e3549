import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { resolve } from 'node:path';
import type { NodeConfig } from '../../config/node-config';
import { NODE_CONFIG } from '../../infrastructure/tokens';
import { AuditTrailStore } from '../audit/audit-trail.store';
import { AUDIT_TRAIL } from './access.tokens';

/**
 * The durable access audit trail (`audit.sqlite` in the data folder). The security gate (apps/node/src/security)
 * records on it every request to the audited surfaces — /regulator, /console, /audit, /admin — allowed or denied.
 */
@Global()
@Module({
  providers: [{ provide: AUDIT_TRAIL, useFactory: (config: NodeConfig) => new AuditTrailStore(resolve(config.dataDir, 'audit.sqlite')), inject: [NODE_CONFIG] }],
  exports: [AUDIT_TRAIL],
})
export class AccessModule implements OnApplicationShutdown {
  constructor(@Inject(AUDIT_TRAIL) private readonly trail: AuditTrailStore) {}

  onApplicationShutdown(): void {
    this.trail.close();
  }
}
