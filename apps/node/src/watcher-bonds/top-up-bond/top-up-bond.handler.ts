import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { WatcherBondCommands } from '../watcher-bond-commands';
import { TopUpBondCommand } from './top-up-bond.command';

@CommandHandler(TopUpBondCommand)
export class TopUpBondHandler implements ICommandHandler<TopUpBondCommand> {
  constructor(private readonly bonds: WatcherBondCommands) {}

  execute(c: TopUpBondCommand) {
    return this.bonds.run(c.watcherId, 'TopUpBond', { amount: c.amount });
  }
}
