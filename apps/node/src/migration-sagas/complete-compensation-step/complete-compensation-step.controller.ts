import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { CompleteCompensationStepCommand } from './complete-compensation-step.command';
import { CompleteCompensationStepDto } from './complete-compensation-step.dto';

@ApiTags('migration sagas')
@Controller('migrations/:id/compensation')
export class CompleteCompensationStepController {
  constructor(private readonly commands: CommandBus) {}

  @Post('complete-step')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Report a compensation step undone',
    description:
      'Steps run in plan order, not before their retry time. The last step ends the saga (compensated, or cancelled after a cancellation). The node records migration.step.compensated.v1 in the corridor. A report of a step already undone appends nothing.',
  })
  async complete(@Param('id') id: string, @Body() b: CompleteCompensationStepDto): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new CompleteCompensationStepCommand(id, b.step, b.evidence_digest_sha256)));
  }
}
