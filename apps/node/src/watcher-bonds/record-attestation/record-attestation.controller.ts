import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { RecordAttestationCommand } from './record-attestation.command';
import { RecordAttestationDto } from './record-attestation.dto';

@ApiTags('watcher bonds')
@Controller('watcher-bonds/:watcherId')
export class RecordAttestationController {
  constructor(private readonly commands: CommandBus) {}

  @Post('attestations')
  @HttpCode(201)
  @ApiOperation({ summary: 'Record an attestation the watcher gave (ACTIVE bond, corridor in scope)' })
  async record(@Param('watcherId') watcherId: string, @Body() b: RecordAttestationDto): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new RecordAttestationCommand(watcherId, b.corridor_id, b.attestation_digest_sha256)));
  }
}
