// Verifies a credential with Digital Bazaar's implementation (@digitalbazaar/vc and the
// eddsa-rdfc-2022 cryptosuite), offline: the cross-implementation check of a credential the
// service issued, such as a wallet's copy (issue #15).
//
//   node verify.mjs <contexts dir> <credential.json> <issuer DID document.json>
//
// The contexts come from the shared folder (as in bench.mjs); the issuer's keys from its DID
// document (the service's /orgs/{slug}/did.json, saved). The status list is not fetched: the
// result says so. Prints a JSON report and exits 1 when the credential does not verify.

import {readFileSync} from 'node:fs';
import {join} from 'node:path';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';

const CONTEXT_FILES = {
  'https://www.w3.org/ns/credentials/v2': 'w3c-credentials-v2.jsonld',
  'https://www.w3.org/2018/credentials/v1': 'w3c-credentials-v1.jsonld',
  'https://w3id.org/security/data-integrity/v2': 'w3id-security-data-integrity-v2.jsonld',
  'https://w3id.org/security/multikey/v1': 'w3id-security-multikey-v1.jsonld',
  'https://www.w3.org/ns/did/v1': 'w3c-did-v1.jsonld',
  'https://www.w3.org/ns/cid/v1': 'w3c-cid-v1.jsonld',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json': 'ob-v3p0-context-3.0.3.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json': 'ob-v3p0-extensions.json',
};

const [contextsDir, credentialFile, didFile] = process.argv.slice(2);
if(!didFile) {
  console.error('usage: node verify.mjs <contexts dir> <credential.json> <did document.json>');
  process.exit(2);
}
const credential = JSON.parse(readFileSync(credentialFile, 'utf8'));
const didDocument = JSON.parse(readFileSync(didFile, 'utf8'));

const documents = new Map();
for(const [url, file] of Object.entries(CONTEXT_FILES)) {
  documents.set(url, JSON.parse(readFileSync(join(contextsDir, file), 'utf8')));
}
documents.set(didDocument.id, didDocument);
for(const method of didDocument.verificationMethod ?? []) {
  documents.set(method.id, {'@context': 'https://w3id.org/security/multikey/v1', ...method});
}

async function documentLoader(url) {
  if(documents.has(url)) {
    return {contextUrl: null, documentUrl: url, document: structuredClone(documents.get(url))};
  }
  throw new Error(`offline: refusing to load ${url}`);
}

const result = await vc.verifyCredential({
  credential,
  suite: new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite}),
  documentLoader,
  // The status list is the service's to answer (its own verifier reads it); not fetched here.
  checkStatus: async () => ({verified: true}),
});
const report = {
  verified: result.verified === true,
  subject: credential.credentialSubject?.id ?? null,
  status_checked: false,
  error: result.verified ? null : String(
    result.error?.errors?.[0]?.message ?? result.error?.message ??
    JSON.stringify(result.results?.[0]?.error ?? result.error)),
};
console.log(JSON.stringify(report, null, 2));
process.exit(report.verified ? 0 : 1);
