import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { ResolveCompensationFailureCommand } from './resolve-compensation-failure.command';
import { ResolveCompensationFailureDto } from './resolve-compensation-failure.dto';

@ApiTags('migration sagas')
@Controller('migrations/:id/compensation')
export class ResolveCompensationFailureController {
  constructor(private readonly commands: CommandBus) {}

  @Post('resolve')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Resolve a compensation_failed saga (operator)',
    description: 'retry: the stuck step may be tried again at once. compensated_manually: the step was undone by hand (evidence digest mandatory); compensation continues with the next step.',
  })
  async resolve(@Param('id') id: string, @Body() b: ResolveCompensationFailureDto): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new ResolveCompensationFailureCommand(id, b.operator, b.resolution, b.note, b.evidence_digest_sha256)));
  }
}
