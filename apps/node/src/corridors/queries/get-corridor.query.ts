export class GetCorridorQuery {
  constructor(readonly corridorId: string) {}
}
