import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { NoBodyPipe } from '../../migration-sagas/no-body.pipe';
import { WithdrawBondCommand } from './withdraw-bond.command';

@ApiTags('watcher bonds')
@Controller('watcher-bonds/:watcherId')
export class WithdrawBondController {
  constructor(private readonly commands: CommandBus) {}

  @Post('withdraw')
  @HttpCode(201)
  @ApiOperation({ summary: 'Withdraw the bond (UNBONDING, at or after unlock_at → NONE), paying out what remains. No body.' })
  async withdraw(@Param('watcherId') watcherId: string, @Body(NoBodyPipe) _none: undefined): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new WithdrawBondCommand(watcherId)));
  }
}
