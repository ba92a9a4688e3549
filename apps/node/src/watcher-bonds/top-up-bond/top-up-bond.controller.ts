import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { TopUpBondCommand } from './top-up-bond.command';
import { TopUpBondDto } from './top-up-bond.dto';

@ApiTags('watcher bonds')
@Controller('watcher-bonds/:watcherId')
export class TopUpBondController {
  constructor(private readonly commands: CommandBus) {}

  @Post('top-up')
  @HttpCode(201)
  @ApiOperation({ summary: 'Top up the bond (ACTIVE or SLASHED; a SLASHED bond becomes ACTIVE again)' })
  async topUp(@Param('watcherId') watcherId: string, @Body() b: TopUpBondDto): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new TopUpBondCommand(watcherId, b.amount)));
  }
}
