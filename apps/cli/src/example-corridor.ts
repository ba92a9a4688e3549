import { createHash } from 'node:crypto';
import { addProof, definitionPayloadSha256, Ed25519KeyPair, utcSeconds, type JsonObject } from '@corridor/protocol';

/**
 * A complete two-zone corridor package for trying a node out: one zone-authority key per zone, the trust
 * anchors, a definition credential signed by the first zone, and one party-specific agreement credential per
 * zone (2-of-2 zone authorities, receipt signing 2-of-2), plus the request bodies that drive a node from DRAFT to
 * ACTIVE. Keys are derived from `seed` when given, so examples and tests are reproducible.
 */
export interface ExampleCorridor {
  corridorId: string;
  zones: { code: string; key: Ed25519KeyPair }[];
  trustAnchors: JsonObject;
  definition: JsonObject;
  agreements: JsonObject[];
  requests: { create: JsonObject; submit: JsonObject; activate: JsonObject };
}

export interface ExampleCorridorOptions {
  corridorId: string;
  zones?: string[];
  /** Derive the zone keys from this seed (examples and tests); random keys otherwise. */
  seed?: string;
  issuedAt?: string;
  /** Use these keys for the named zones (e.g. the nodes' own keys, so each node signs for its zone). */
  zoneKeys?: Record<string, Ed25519KeyPair>;
  /** Zone code whose key orders the shared chain (`state_channel.sequencer`): makes the corridor a peered one. */
  sequencer?: string;
}

export function buildExampleCorridor(options: ExampleCorridorOptions): ExampleCorridor {
  const codes = options.zones ?? ['PK', 'AE'];
  const at = options.issuedAt ?? utcSeconds(new Date());
  const zones = codes.map((code) => ({
    code,
    key: options.zoneKeys?.[code] ?? (options.seed ? Ed25519KeyPair.fromSeed(createHash('sha256').update(`${options.seed}/${code}`).digest(), `zone-${code.toLowerCase()}`) : Ed25519KeyPair.generate(`zone-${code.toLowerCase()}`)),
  }));
  const sequencer = options.sequencer === undefined ? undefined : zones.find((z) => z.code === options.sequencer)?.key.did;
  if (options.sequencer !== undefined && !sequencer) throw new Error(`sequencer ${options.sequencer} is not one of the zones ${codes.join(', ')}`);
  const roles = ['zone_authority', 'corridor_definition', 'corridor_agreement', 'corridor_receipt', 'corridor_checkpoint'];
  const trustAnchors: JsonObject = {
    version: 1,
    trust_anchors: zones.map((z) => ({ anchor_id: `zone-${z.code.toLowerCase()}`, type: 'did', identifier: z.key.did, allowed_attestations: roles, metadata: { jurisdiction: z.code } })),
  };
  const definition = addProof(
    {
      '@context': ['https://www.w3.org/2018/credentials/v1', 'https://schemas.momentum-sez.org/contexts/msez/v1', 'https://schemas.momentum-sez.org/contexts/msez/corridor/v1'],
      id: `urn:msez:vc:corridor-definition:${options.corridorId}`,
      type: ['VerifiableCredential', 'MSEZCorridorDefinitionCredential'],
      issuer: zones[0]!.key.did,
      issuanceDate: at,
      credentialSubject: { corridor_id: options.corridorId, ruleset: 'msez.corridor.verification.v1', version: '1.0.0', zones: codes },
    },
    zones[0]!.key,
    { created: at },
  );
  const participants = zones.map((z) => ({ id: z.key.did, role: 'zone_authority', name: `Zone ${z.code}` }));
  const thresholds = [{ role: 'zone_authority', required: zones.length, of: zones.length }];
  const agreements = zones.map((z) =>
    addProof(
      {
        '@context': ['https://www.w3.org/2018/credentials/v1', 'https://schemas.momentum-sez.org/contexts/msez/v1', 'https://schemas.momentum-sez.org/contexts/msez/corridor/v1'],
        id: `urn:msez:vc:corridor-agreement:${options.corridorId}:${z.code.toLowerCase()}`,
        type: ['VerifiableCredential', 'MSEZCorridorAgreementCredential'],
        issuer: z.key.did,
        issuanceDate: at,
        credentialSubject: {
          corridor_id: options.corridorId,
          definition_payload_sha256: definitionPayloadSha256(definition),
          participants,
          activation: { thresholds, accept_commitments: ['agree'] },
          state_channel: { receipt_signing: { thresholds }, ...(sequencer ? { sequencer } : {}) },
          party: { id: z.key.did, role: 'zone_authority' },
          commitment: 'agree',
        },
      },
      z.key,
      { created: at },
    ),
  );
  return {
    corridorId: options.corridorId,
    zones,
    trustAnchors,
    definition,
    agreements,
    requests: {
      create: { corridor_id: options.corridorId, trust_anchors: trustAnchors },
      submit: { evidence: [definition] },
      activate: { evidence: agreements },
    },
  };
}
