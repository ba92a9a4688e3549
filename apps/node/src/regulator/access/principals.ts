/** Bearer-token principals now live with the rest of authentication (apps/node/src/security). */
export { PrincipalConfigError, PrincipalDirectory, tokenDigest, type TokenMaps } from '../../security/bearer-tokens';
export type { Principal, Role } from '../../security/roles';
