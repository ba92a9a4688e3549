import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { SubmitEvidenceCommand } from './submit-evidence.command';
import { SubmitEvidenceDto } from './submit-evidence.dto';

@ApiTags('disputes')
@Controller('disputes/:id')
export class SubmitEvidenceController {
  constructor(private readonly commands: CommandBus) {}

  @Post('evidence')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Submit an evidence package (a party, during evidence collection, before the deadline)',
    description:
      "Each item cites a corridor receipt by next_root with its MMR inclusion proof; the proof must verify and lead to the corridor's current head on this node (recorded in the event as corridor_head {mmr_size, mmr_root}).",
  })
  async submit(@Param('id') id: string, @Body() b: SubmitEvidenceDto): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new SubmitEvidenceCommand(id, b.package_id, b.submitted_by, b.items)));
  }
}
