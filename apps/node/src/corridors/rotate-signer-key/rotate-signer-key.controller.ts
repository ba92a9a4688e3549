import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { RotateSignerKeyCommand } from './rotate-signer-key.command';
import { RotateSignerKeyDto } from './rotate-signer-key.dto';

@ApiTags('corridors')
@Controller('corridors/:id/key-rotations')
export class RotateSignerKeyController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: "Rotate a zone's signing key from a state-channel sequence",
    description: 'Recorded in the lifecycle chain. The previous key stays valid for what it signed; from effective_from_sequence only the new key signs (a node still holding the previous key stops appending until restarted with the new one). Compromise: suspend or halt, rotate (signed by another zone authority), resume.',
  })
  async rotate(@Param('id') id: string, @Body() body: RotateSignerKeyDto): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new RotateSignerKeyCommand(id, body.evidence)));
  }
}
