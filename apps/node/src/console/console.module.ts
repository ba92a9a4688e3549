import { Module } from '@nestjs/common';
import { RegulatorModule } from '../regulator/regulator.module';
import { ConsoleController } from './console.controller';

/** The /console page for regulators (guarded and audited like the regulator API). */
@Module({ imports: [RegulatorModule], controllers: [ConsoleController] })
export class ConsoleModule {}
