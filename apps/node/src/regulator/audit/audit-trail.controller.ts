import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AUDIT_TRAIL } from '../access/access.tokens';
import { AuditTrailQuery } from './audit-trail.dto';
import type { AuditTrailStore } from './audit-trail.store';

/** The access audit trail, for auditors: who asked the regulator surfaces what, when, and whether it was allowed. */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditTrailController {
  constructor(@Inject(AUDIT_TRAIL) private readonly trail: AuditTrailStore) {}

  @Get('trail')
  @ApiOperation({ summary: 'Requests to /regulator, /console, /audit and /admin (allowed and denied), oldest first, paged by id' })
  list(@Query() q: AuditTrailQuery) {
    return this.trail.list({ principal: q.principal, decision: q.decision, from: q.from, to: q.to, after: q.after, limit: q.limit ?? 100 });
  }
}
