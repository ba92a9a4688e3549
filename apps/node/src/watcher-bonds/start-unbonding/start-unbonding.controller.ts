import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { NoBodyPipe } from '../../migration-sagas/no-body.pipe';
import { StartUnbondingCommand } from './start-unbonding.command';

@ApiTags('watcher bonds')
@Controller('watcher-bonds/:watcherId')
export class StartUnbondingController {
  constructor(private readonly commands: CommandBus) {}

  @Post('unbond')
  @HttpCode(201)
  @ApiOperation({ summary: 'Start unbonding (ACTIVE or SLASHED → UNBONDING); unlock_at = now + the unlock period (7 days). No body.' })
  async unbond(@Param('watcherId') watcherId: string, @Body(NoBodyPipe) _none: undefined): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new StartUnbondingCommand(watcherId)));
  }
}
