import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { FileDisputeCommand } from './file-dispute.command';
import { FileDisputeDto } from './file-dispute.dto';

@ApiTags('disputes')
@Controller('disputes')
export class FileDisputeController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'File a dispute (FILED)', description: 'Appends dispute.filed.v1 as receipt 0 of the dispute chain, bound to the corridor’s state channel.' })
  async file(@Body() b: FileDisputeDto): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new FileDisputeCommand(b.dispute_id, b.corridor_id, b.claimant, b.respondent, b.filing_digest_sha256, b.corridor_head_commitment_sha256)));
  }
}
