// Makes the ecdsa-rdfc-2019 credential of tests/vc/test_ecdsa_rdfc_2019.py with Digital
// Bazaar's implementation, so that the verifier is checked against another implementation
// than its own. Run by hand when the document needs remaking:
//
//   cd tests/vc/ecdsa_rdfc_2019 && npm install --no-save @digitalbazaar/data-integrity@2.5.0 \
//     @digitalbazaar/ecdsa-rdfc-2019-cryptosuite@1.3.0 @digitalbazaar/ecdsa-multikey@1.8.0 \
//     @digitalbazaar/vc@7.3.0 jsonld@9.0.0
//   node make.mjs ../../../../shared/standards/contexts > credential.json
//
// ECDSA signatures are randomized: every run gives another, equally valid, signature.
import fs from 'node:fs';
import path from 'node:path';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite} from '@digitalbazaar/ecdsa-rdfc-2019-cryptosuite';
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import * as vc from '@digitalbazaar/vc';

const contextsDir = process.argv[2];
const files = {
  'https://www.w3.org/ns/credentials/v2': 'w3c-credentials-v2.jsonld',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json': 'ob-v3p0-context-3.0.3.json',
};
const documentLoader = async url => {
  if(files[url]) {
    const document = JSON.parse(fs.readFileSync(path.join(contextsDir, files[url]), 'utf8'));
    return {contextUrl: null, documentUrl: url, document};
  }
  throw new Error(`not loaded: ${url}`);
};

const key = await EcdsaMultikey.generate({curve: 'P-256'});
const did = `did:key:${key.publicKeyMultibase}`;
key.controller = did;
key.id = `${did}#${key.publicKeyMultibase}`;

const credential = {
  '@context': [
    'https://www.w3.org/ns/credentials/v2',
    'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
  ],
  id: 'urn:uuid:7c2d9e40-5f1a-4b3c-8d2e-9a0b1c2d3e4f',
  type: ['VerifiableCredential', 'OpenBadgeCredential'],
  issuer: {id: did, type: ['Profile'], name: 'Esimerkkiopisto'},
  validFrom: '2026-12-01T00:00:00Z',
  name: 'Hitsauksen perusteet',
  credentialSubject: {
    id: 'did:example:learner',
    type: ['AchievementSubject'],
    achievement: {
      id: 'https://school.example/achievements/hitsaus-1',
      type: ['Achievement'],
      name: 'Hitsauksen perusteet',
      description: 'Osaa hitsata yksinkertaisia liitoksia.',
      criteria: {narrative: 'Hitsasi kaksi liitosta ohjeen mukaan.'},
    },
  },
};
const signer = key.signer();
const suite = new DataIntegrityProof({signer, date: '2026-12-05T08:00:00Z', cryptosuite});
const signed = await vc.issue({credential, suite, documentLoader});
process.stdout.write(JSON.stringify(signed, null, 2) + '\n');
