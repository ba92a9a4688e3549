import { Body, Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AggregateView } from '../../aggregates/aggregate-definition';
import type { CommandOutcome } from '../../aggregates/aggregate-store';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import type { ProposalAnswer } from '../../peering/peering.service';
import { RecordCorridorTransitionCommand } from './record-transition.command';
import { RecordTransitionDto } from './record-transition.dto';

@ApiTags('corridors')
@Controller('corridors/:id/transitions')
export class RecordCorridorTransitionController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: "Append a transition to an ACTIVE corridor's state channel",
    description:
      'Answers 201 with the signed receipt; refused with the reason in any other state. On a shared corridor sequenced by another node, answers 202 with the proposal sent to the sequencer (the receipt follows by peering).',
  })
  async record(@Param('id') id: string, @Body() body: RecordTransitionDto, @Res({ passthrough: true }) res: Response): Promise<CommandAnswer | ProposalAnswer> {
    const result = (await this.commands.execute(new RecordCorridorTransitionCommand(id, body.transition))) as CommandOutcome<AggregateView<unknown>> | ProposalAnswer;
    if ('status' in result && result.status === 'proposed') {
      res.status(202);
      return result;
    }
    return commandAnswer(result as CommandOutcome<AggregateView<unknown>>);
  }
}
