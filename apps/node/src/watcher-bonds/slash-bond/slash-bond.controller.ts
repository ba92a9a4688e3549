import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { SlashBondCommand } from './slash-bond.command';
import { SlashBondDto } from './slash-bond.dto';

@ApiTags('watcher bonds')
@Controller('watcher-bonds/:watcherId')
export class SlashBondController {
  constructor(private readonly commands: CommandBus) {}

  @Post('slash')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Slash the bond (ACTIVE, SLASHED or UNBONDING)',
    description: 'Takes min(collateral × basis points / 10000, remaining); each incident once. Collusion also appends watcher-bond.banned.v1.',
  })
  async slash(@Param('watcherId') watcherId: string, @Body() b: SlashBondDto): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new SlashBondCommand(watcherId, b.offence, b.evidence)));
  }
}
