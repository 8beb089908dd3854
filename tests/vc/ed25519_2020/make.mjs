// Makes the Ed25519Signature2020 documents of tests/vc/test_ed25519_2020.py with Digital
// Bazaar's implementation (the one the Learner Credential Wallet and the Digital Credentials
// Consortium's issuers use), so that the verifier is checked against another implementation
// than its own. Run by hand when the documents need remaking:
//
//   cd tests/vc/ed25519_2020 && npm install --no-save @digitalbazaar/ed25519-signature-2020@5.4.0 \
//     @digitalbazaar/ed25519-verification-key-2020@4.2.0 @digitalbazaar/vc@7.3.0 jsonld@9.0.0
//   node make.mjs ../../../../shared/standards/contexts > documents.json
//
// The keys come from fixed seeds, so the output is the same on every run.
import fs from 'node:fs';
import path from 'node:path';
import {Ed25519VerificationKey2020} from '@digitalbazaar/ed25519-verification-key-2020';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import * as vc from '@digitalbazaar/vc';

const contextsDir = process.argv[2];
const files = {
  'https://www.w3.org/2018/credentials/v1': 'w3c-credentials-v1.jsonld',
  'https://www.w3.org/ns/credentials/v2': 'w3c-credentials-v2.jsonld',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json': 'ob-v3p0-context-3.0.3.json',
  'https://w3id.org/security/suites/ed25519-2020/v1': 'w3id-security-suites-ed25519-2020-v1.jsonld',
};
const documentLoader = async url => {
  if(files[url]) {
    const document = JSON.parse(fs.readFileSync(path.join(contextsDir, files[url]), 'utf8'));
    return {contextUrl: null, documentUrl: url, document};
  }
  throw new Error(`not loaded: ${url}`);
};

async function keyFrom(seedByte) {
  const key = await Ed25519VerificationKey2020.generate({seed: new Uint8Array(32).fill(seedByte)});
  const did = `did:key:${key.fingerprint()}`;
  key.controller = did;
  key.id = `${did}#${key.fingerprint()}`;
  return key;
}

const issuerKey = await keyFrom(7);
const holderKey = await keyFrom(9);
const created = '2026-12-05T08:00:00Z';

// An Open Badges 3.0 credential as a DCC issuer signs it.
const credential = {
  '@context': [
    'https://www.w3.org/ns/credentials/v2',
    'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
    'https://w3id.org/security/suites/ed25519-2020/v1',
  ],
  id: 'urn:uuid:2f1e5b8e-3c52-4d8f-9a57-0b8a3b1c9d11',
  type: ['VerifiableCredential', 'OpenBadgeCredential'],
  issuer: {id: issuerKey.controller, type: ['Profile'], name: 'Esimerkkiopisto'},
  validFrom: '2026-12-01T00:00:00Z',
  name: 'Puutyön perusteet',
  credentialSubject: {
    id: holderKey.controller,
    type: ['AchievementSubject'],
    achievement: {
      id: 'https://school.example/achievements/puutyo-1',
      type: ['Achievement'],
      name: 'Puutyön perusteet',
      description: 'Osaa tehdä yksinkertaisia puutöitä ohjeiden mukaan.',
      criteria: {narrative: 'Rakensi hyllyn piirustuksen mukaan.'},
    },
  },
};
const signedCredential = await vc.issue({
  credential,
  suite: new Ed25519Signature2020({key: issuerKey, date: created}),
  documentLoader,
});

// A DIDAuthentication presentation, as the Learner Credential Wallet answers a VC-API
// exchange: VC 1.1 context, signed by the holder's did:key for a challenge and a domain.
const presentation = vc.createPresentation({holder: holderKey.controller, version: 1.0});
presentation['@context'] = [
  'https://www.w3.org/2018/credentials/v1',
  'https://w3id.org/security/suites/ed25519-2020/v1',
];
const signedPresentation = await vc.signPresentation({
  presentation,
  suite: new Ed25519Signature2020({key: holderKey, date: created}),
  challenge: 'f2b9c1d0-4b5e-4a7f-8c3d-1e2f3a4b5c6d',
  domain: 'passi.test',
  documentLoader,
});

process.stdout.write(JSON.stringify({
  credential: signedCredential,
  presentation: signedPresentation,
}, null, 2) + '\n');
