export class GetWatcherBondQuery {
  constructor(readonly watcherId: string) {}
}
