import { Module } from '@nestjs/common';
import { AccessModule } from './access/access.module';
import { AuditTrailController } from './audit/audit-trail.controller';
import { RegulatorController } from './queries/regulator.controller';
import { RegulatorReads } from './queries/regulator-reads';

/** The read-only regulator API and the access audit trail (the access module guards and records every request). */
@Module({
  imports: [AccessModule],
  controllers: [RegulatorController, AuditTrailController],
  providers: [RegulatorReads],
  exports: [RegulatorReads],
})
export class RegulatorModule {}
