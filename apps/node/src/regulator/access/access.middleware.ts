/**
 * Access to the regulator API, the console, the audit trail and the admin endpoints is decided, like every other
 * endpoint's, by the security gate (apps/node/src/security, governance/access-roles.json), which also puts every
 * request under those prefixes on the access audit trail. The principal a request was allowed as:
 */
export { principalOf } from '../../security/roles';
