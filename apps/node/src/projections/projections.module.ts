import { Global, Module } from '@nestjs/common';
import { ProjectionRuntime } from './projection-runtime';

/** Runs the projections (read models over the global log) for the regulator API, the console and the admin endpoints. */
@Global()
@Module({ providers: [ProjectionRuntime], exports: [ProjectionRuntime] })
export class ProjectionsModule {}
