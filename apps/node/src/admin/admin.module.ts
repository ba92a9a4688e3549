import { Module } from '@nestjs/common';
import { AdminProjectionsController } from './admin-projections.controller';

/** Operator endpoints (admin role; guarded and audited by the access module). */
@Module({ controllers: [AdminProjectionsController] })
export class AdminModule {}
