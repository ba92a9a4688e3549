import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { WatcherBondCommands } from '../watcher-bond-commands';
import { StartUnbondingCommand } from './start-unbonding.command';

@CommandHandler(StartUnbondingCommand)
export class StartUnbondingHandler implements ICommandHandler<StartUnbondingCommand> {
  constructor(private readonly bonds: WatcherBondCommands) {}

  execute(c: StartUnbondingCommand) {
    return this.bonds.run(c.watcherId, 'StartUnbonding', {});
  }
}
