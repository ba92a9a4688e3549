import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { PostBondCommand } from './post-bond.command';
import { PostBondDto } from './post-bond.dto';

@ApiTags('watcher bonds')
@Controller('watcher-bonds')
export class PostBondController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Post a watcher bond (NONE → ACTIVE)',
    description: 'Appends watcher-bond.posted.v1 to the watcher’s bond chain. Refused while a bond is held (withdraw it first), for a reused bond id, and for a banned watcher.',
  })
  async post(@Body() b: PostBondDto): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new PostBondCommand(b.watcher_id, b.bond_id, b.amount, b.currency, b.corridor_ids)));
  }
}
