/** Span and metric attribute names (spec/telemetry.md). OpenTelemetry semantic conventions where one exists. */
export const A = {
  // ours
  nodeDid: 'corridor.node.did',
  jurisdiction: 'corridor.jurisdiction',
  aggregate: 'corridor.aggregate',
  aggregateId: 'corridor.aggregate.id',
  command: 'corridor.command',
  stream: 'corridor.stream',
  streamKind: 'corridor.stream.kind',
  origin: 'corridor.append.origin',
  receiptCount: 'corridor.receipt.count',
  sequence: 'corridor.receipt.sequence',
  sequenceLast: 'corridor.receipt.sequence.last',
  corridorId: 'corridor.id',
  messageKind: 'corridor.peer.message.kind',
  peerSource: 'corridor.peer.source',
  peerTo: 'corridor.peer.to',
  peerDid: 'corridor.peer.did',
  peerTransport: 'corridor.peer.transport',
  verdict: 'corridor.peer.verdict',
  reason: 'corridor.peer.reason',
  projection: 'corridor.projection',
  // OpenTelemetry semantic conventions
  httpMethod: 'http.request.method',
  httpRoute: 'http.route',
  httpStatus: 'http.response.status_code',
  urlPath: 'url.path',
  urlScheme: 'url.scheme',
  userAgent: 'user_agent.original',
  clientAddress: 'client.address',
  messagingSystem: 'messaging.system',
  messagingDestination: 'messaging.destination.name',
  messagingOperationType: 'messaging.operation.type',
  messagingOperationName: 'messaging.operation.name',
  messagingMessageId: 'messaging.message.id',
  messagingConsumerGroup: 'messaging.consumer.group.name',
  kafkaMessageKey: 'messaging.kafka.message.key',
  errorType: 'error.type',
} as const;

/** `corridor-org.example` → `corridor`, `corridor_lifecycle-x` → `corridor_lifecycle`: a stream's kind, low cardinality. */
export function streamKindOf(stream: string): string {
  const dash = stream.indexOf('-');
  return dash < 0 ? stream : stream.slice(0, dash);
}
