import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { WatcherBondCommands } from '../watcher-bond-commands';
import { PostBondCommand } from './post-bond.command';

@CommandHandler(PostBondCommand)
export class PostBondHandler implements ICommandHandler<PostBondCommand> {
  constructor(private readonly bonds: WatcherBondCommands) {}

  execute(c: PostBondCommand) {
    return this.bonds.run(c.watcherId, 'PostBond', { bond_id: c.bondId, amount: c.amount, currency: c.currency, corridor_ids: c.corridorIds });
  }
}
