export * from './transport/peer-message';
export * from './inbound/receipt-check';
export * from './inbound/cosignature';
export * from './inbound/proposal';
export * from './transport/cloud-event';
export * from './transport/transport-support';
export * from './transport/http-transport';
export * from './transport/kafka-transport';
