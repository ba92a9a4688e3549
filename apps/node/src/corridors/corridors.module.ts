import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ChangeCorridorLifecycleController } from './change-lifecycle/change-lifecycle.controller';
import { ChangeCorridorLifecycleHandler } from './change-lifecycle/change-lifecycle.handler';
import { CorridorAggregate } from './corridor-aggregate';
import { CreateCorridorController } from './create-corridor/create-corridor.controller';
import { CreateCorridorHandler } from './create-corridor/create-corridor.handler';
import { CorridorQueriesController } from './queries/corridor-queries.controller';
import { GetCorridorHandler } from './queries/get-corridor.handler';
import { RecordCorridorTransitionController } from './record-transition/record-transition.controller';
import { RecordCorridorTransitionHandler } from './record-transition/record-transition.handler';
import { TransitionPayloadValidator } from './record-transition/transition-payload.validator';
import { RotateSignerKeyController } from './rotate-signer-key/rotate-signer-key.controller';
import { RotateSignerKeyHandler } from './rotate-signer-key/rotate-signer-key.handler';

/** Corridor use cases: create, lifecycle moves, transitions, key rotations, and reads of both corridor chains. */
@Module({
  imports: [CqrsModule],
  controllers: [CreateCorridorController, ChangeCorridorLifecycleController, RecordCorridorTransitionController, RotateSignerKeyController, CorridorQueriesController],
  providers: [CorridorAggregate, CreateCorridorHandler, ChangeCorridorLifecycleHandler, RecordCorridorTransitionHandler, RotateSignerKeyHandler, TransitionPayloadValidator, GetCorridorHandler],
  exports: [CorridorAggregate],
})
export class CorridorsModule {}
