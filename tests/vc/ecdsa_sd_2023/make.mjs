// Makes the ecdsa-sd-2023 documents of tests/vc/test_ecdsa_sd_2023.py with Digital Bazaar's
// implementation (issue #16: selective disclosure, added to the OB 3.0 certification in
// 2025), so that the verifier is checked against another implementation than its own. Run by
// hand when the documents need remaking:
//
//   cd tests/vc/ecdsa_sd_2023 && npm install --no-save @digitalbazaar/data-integrity@2.5.0 \
//     @digitalbazaar/ecdsa-sd-2023-cryptosuite@3.4.1 @digitalbazaar/ecdsa-multikey@1.8.0 \
//     jsonld-signatures@11.6.0 jsonld@9.0.0
//   node make.mjs ../../../../shared/standards/contexts > documents.json
//
// The issuer signs a base proof with mandatory pointers (the issuer, the date, the subject's
// id and type, the achievement's id and type); the holder derives a disclosure that reveals
// the badge but not its evidence, and one that reveals everything. ECDSA signatures and the HMAC
// key are random: every run gives other, equally valid, documents.
import fs from 'node:fs';
import path from 'node:path';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import * as ecdsaSd2023Cryptosuite from '@digitalbazaar/ecdsa-sd-2023-cryptosuite';
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import jsigs from 'jsonld-signatures';

const {purposes: {AssertionProofPurpose}} = jsigs;
const {createSignCryptosuite, createDiscloseCryptosuite, createVerifyCryptosuite} =
  ecdsaSd2023Cryptosuite;

const contextsDir = process.argv[2];
const files = {
  'https://www.w3.org/ns/credentials/v2': 'w3c-credentials-v2.jsonld',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json': 'ob-v3p0-context-3.0.3.json',
  'https://w3id.org/security/multikey/v1': 'w3id-security-multikey-v1.jsonld',
};
const key = await EcdsaMultikey.generate({curve: 'P-256'});
const did = `did:key:${key.publicKeyMultibase}`;
key.controller = did;
key.id = `${did}#${key.publicKeyMultibase}`;
const keyDocument = {
  '@context': 'https://w3id.org/security/multikey/v1',
  id: key.id,
  type: 'Multikey',
  controller: did,
  publicKeyMultibase: key.publicKeyMultibase,
};
const controllerDocument = {
  '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
  id: did,
  verificationMethod: [keyDocument],
  assertionMethod: [key.id],
};
const documentLoader = async url => {
  if(files[url]) {
    const document = JSON.parse(fs.readFileSync(path.join(contextsDir, files[url]), 'utf8'));
    return {contextUrl: null, documentUrl: url, document};
  }
  if(url === key.id) {
    return {contextUrl: null, documentUrl: url, document: keyDocument};
  }
  if(url === did) {
    return {contextUrl: null, documentUrl: url, document: controllerDocument};
  }
  if(url === 'https://www.w3.org/ns/did/v1') {
    const document = JSON.parse(fs.readFileSync(path.join(contextsDir, 'w3c-did-v1.jsonld'), 'utf8'));
    return {contextUrl: null, documentUrl: url, document};
  }
  throw new Error(`not loaded: ${url}`);
};

const credential = {
  '@context': [
    'https://www.w3.org/ns/credentials/v2',
    'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
  ],
  id: 'urn:uuid:3f6c1b2a-9d4e-4c8f-a1b2-c3d4e5f60718',
  type: ['VerifiableCredential', 'OpenBadgeCredential'],
  issuer: {id: did, type: ['Profile'], name: 'Esimerkkiopisto'},
  validFrom: '2026-12-01T00:00:00Z',
  name: 'Hitsauksen perusteet',
  credentialSubject: {
    id: 'did:example:oppija',
    type: ['AchievementSubject'],
    achievement: {
      id: 'https://school.example/achievements/hitsaus-1',
      type: ['Achievement'],
      name: 'Hitsauksen perusteet',
      description: 'Osaa hitsata yksinkertaisia liitoksia.',
      criteria: {narrative: 'Hitsasi kaksi liitosta ohjeen mukaan.'},
    },
  },
  evidence: [{
    type: ['Evidence'],
    narrative: 'Harjoitteli kolme viikkoa; ensimmäinen liitos jäi vajaaksi.',
  }],
};
const mandatoryPointers = [
  '/issuer', '/validFrom', '/credentialSubject/id', '/credentialSubject/type',
  '/credentialSubject/achievement/id', '/credentialSubject/achievement/type',
];
const base = await jsigs.sign(structuredClone(credential), {
  suite: new DataIntegrityProof({
    signer: key.signer(),
    date: '2026-12-05T08:00:00Z',
    cryptosuite: createSignCryptosuite({mandatoryPointers}),
  }),
  purpose: new AssertionProofPurpose(),
  documentLoader,
});
async function derive(selectivePointers) {
  return jsigs.derive(base, {
    suite: new DataIntegrityProof({
      cryptosuite: createDiscloseCryptosuite({selectivePointers}),
    }),
    purpose: new AssertionProofPurpose(),
    documentLoader,
  });
}
// The holder shows the badge but keeps the evidence (what the teacher wrote) to herself.
const derived = await derive(['/name', '/credentialSubject']);
const everything = await derive(['/name', '/credentialSubject', '/evidence']);
// Digital Bazaar's own verifier must accept what is kept.
for(const document of [derived, everything]) {
  const result = await jsigs.verify(document, {
    suite: new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()}),
    purpose: new AssertionProofPurpose(),
    documentLoader,
  });
  if(!result.verified) {
    throw result.error;
  }
}
process.stdout.write(JSON.stringify({base, derived, everything}, null, 2) + '\n');
