import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { FailCompensationStepCommand } from './fail-compensation-step.command';
import { FailCompensationStepDto } from './fail-compensation-step.dto';

@ApiTags('migration sagas')
@Controller('migrations/:id/compensation')
export class FailCompensationStepController {
  constructor(private readonly commands: CommandBus) {}

  @Post('fail-step')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Report a failed attempt at a compensation step',
    description: 'Sets retry_at (30 s, 60 s, 120 s … capped at 1 h, per the saga policy); the fifth failure escalates the saga to compensation_failed until an operator resolves it.',
  })
  async fail(@Param('id') id: string, @Body() b: FailCompensationStepDto): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new FailCompensationStepCommand(id, b.step, b.error)));
  }
}
