export * from './attestation';
export * from './compare';
export * from './equivocation';
