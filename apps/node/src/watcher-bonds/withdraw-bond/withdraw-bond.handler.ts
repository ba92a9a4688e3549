import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { WatcherBondCommands } from '../watcher-bond-commands';
import { WithdrawBondCommand } from './withdraw-bond.command';

@CommandHandler(WithdrawBondCommand)
export class WithdrawBondHandler implements ICommandHandler<WithdrawBondCommand> {
  constructor(private readonly bonds: WatcherBondCommands) {}

  execute(c: WithdrawBondCommand) {
    return this.bonds.run(c.watcherId, 'WithdrawBond', {});
  }
}
