import { Module } from '@nestjs/common';
import { AdminProjectionsController } from './admin-projections.controller';

/** Operator endpoints (operator role in governance/access-roles.json; on the access audit trail). */
@Module({ controllers: [AdminProjectionsController] })
export class AdminModule {}
