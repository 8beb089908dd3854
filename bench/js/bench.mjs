// Reference timing and cross-implementation check with Digital Bazaar's stack.
//
//   node bench.mjs <contexts dir> [<bench out dir>] [--iterations N] [--warmup N] [--json]
//
// Reads what bench/credentials.py wrote to bench/out/ (credential.json, credential.nq,
// signed.json, proof.nq, key.json), loads every JSON-LD context OFFLINE from the shared
// contexts folder (URL -> file table below, as in standards/SOURCES.md), then:
//   1. canonicalizes the credential and our proof configuration with the cryptosuite's own
//      canonize (RDFC-1.0, safe mode, rdfDirection i18n-datatype) and compares the N-Quads
//      byte for byte with ours;
//   2. verifies the credential signed by our Python code (cross-implementation check);
//   3. signs the same credential with the same key and `created`, and compares the
//      proofValue with ours (Ed25519 is deterministic: equal canonical forms => equal);
//   4. times sign and verify (vc.issue / vc.verifyCredential, and the bare
//      jsigs.sign / jsigs.verify underneath) and prints the medians.

import {readFileSync} from 'node:fs';
import {join, resolve} from 'node:path';
import os from 'node:os';
import {performance} from 'node:perf_hooks';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import jsigs from 'jsonld-signatures';

const {purposes: {AssertionProofPurpose}} = jsigs;

const CONTEXT_FILES = {
  'https://www.w3.org/ns/credentials/v2': 'w3c-credentials-v2.jsonld',
  'https://www.w3.org/ns/credentials/examples/v2': 'w3c-credentials-examples-v2.jsonld',
  'https://www.w3.org/2018/credentials/v1': 'w3c-credentials-v1.jsonld',
  'https://w3id.org/security/data-integrity/v2': 'w3id-security-data-integrity-v2.jsonld',
  'https://w3id.org/security/data-integrity/v1': 'w3id-security-data-integrity-v1.jsonld',
  'https://w3id.org/security/multikey/v1': 'w3id-security-multikey-v1.jsonld',
  'https://www.w3.org/ns/did/v1': 'w3c-did-v1.jsonld',
  'https://www.w3.org/ns/cid/v1': 'w3c-cid-v1.jsonld',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json': 'ob-v3p0-context-3.0.3.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json': 'ob-v3p0-context-3.0.2.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json': 'ob-v3p0-context-3.0.1.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/context.json': 'ob-v3p0-context-3.0.0.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json': 'ob-v3p0-extensions.json',
  'https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json': 'clr-v2p0-context-2.0.1.json',
};

function parseArgs(argv) {
  const args = {positional: [], iterations: 200, warmup: 20, json: false};
  for(let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if(a === '--iterations') {
      args.iterations = Number(argv[++i]);
    } else if(a === '--warmup') {
      args.warmup = Number(argv[++i]);
    } else if(a === '--json') {
      args.json = true;
    } else {
      args.positional.push(a);
    }
  }
  if(args.positional.length < 1) {
    console.error('usage: node bench.mjs <contexts dir> [<bench out dir>] ' +
      '[--iterations N] [--warmup N] [--json]');
    process.exit(2);
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const contextsDir = resolve(args.positional[0]);
const outDir = resolve(args.positional[1] ?? new URL('../out', import.meta.url).pathname);
const readJson = name => JSON.parse(readFileSync(join(outDir, name), 'utf8'));
const readText = name => readFileSync(join(outDir, name), 'utf8');

const credential = readJson('credential.json');
const ourSigned = readJson('signed.json');
const ourDocNquads = readText('credential.nq');
const ourProofNquads = readText('proof.nq');
const keyInfo = readJson('key.json');

// ---------------------------------------------------------------- document loader
const contexts = new Map();
for(const [url, file] of Object.entries(CONTEXT_FILES)) {
  try {
    contexts.set(url, JSON.parse(readFileSync(join(contextsDir, file), 'utf8')));
  } catch(e) {
    // a missing optional context only matters if a document uses it
  }
}
const keyDocuments = new Map();
keyDocuments.set(keyInfo.controller, keyInfo.controllerDocument);
for(const vm of keyInfo.controllerDocument.verificationMethod) {
  keyDocuments.set(vm.id, {
    '@context': 'https://w3id.org/security/multikey/v1', ...vm
  });
}

async function documentLoader(url) {
  if(contexts.has(url)) {
    // tag 'static' as Digital Bazaar's own loaders do for pinned contexts
    return {contextUrl: null, documentUrl: url, document: contexts.get(url), tag: 'static'};
  }
  if(keyDocuments.has(url)) {
    return {contextUrl: null, documentUrl: url, document: structuredClone(keyDocuments.get(url))};
  }
  throw new Error(`bench documentLoader: refusing to load ${url} (offline)`);
}

// ---------------------------------------------------------------- helpers
const clone = o => structuredClone(o);
const checkStatus = async () => ({verified: true});
// a fixed "now" inside the credential's validity window (validFrom .. validUntil)
const now = new Date(Date.parse(credential.validFrom) + 86400 * 1000);

async function measure(fn, iterations, warmup) {
  for(let i = 0; i < warmup; i++) {
    await fn();
  }
  const times = [];
  for(let i = 0; i < iterations; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const mid = Math.floor(times.length / 2);
  const median = times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
  const p95 = times[Math.min(times.length - 1, Math.round(0.95 * (times.length - 1)))];
  return {median_ms: median, p95_ms: p95, min_ms: times[0], n: times.length};
}

function firstDifference(a, b) {
  const la = a.split('\n');
  const lb = b.split('\n');
  for(let i = 0; i < Math.max(la.length, lb.length); i++) {
    if(la[i] !== lb[i]) {
      return {line: i + 1, ours: lb[i] ?? null, js: la[i] ?? null};
    }
  }
  return null;
}

// ---------------------------------------------------------------- main
const seed = Uint8Array.from(Buffer.from(keyInfo.seedHex, 'hex'));
const keyPair = await Ed25519Multikey.generate({
  seed, controller: keyInfo.controller, id: keyInfo.verificationMethod
});
const report = {
  machine: {
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    nproc: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
  },
  iterations: args.iterations,
  warmup: args.warmup,
  checks: {},
  results: {},
};
report.checks.sameKey = keyPair.publicKeyMultibase === keyInfo.publicKeyMultibase;

// 1. canonical N-Quads, with the cryptosuite's own canonize
const canonize = eddsaRdfc2022CryptoSuite.canonize;
const jsDocNquads = await canonize(clone(credential), {documentLoader});
report.checks.documentNquadsEqual = jsDocNquads === ourDocNquads;
if(!report.checks.documentNquadsEqual) {
  report.checks.documentNquadsFirstDifference = firstDifference(jsDocNquads, ourDocNquads);
}
const ourProof = Array.isArray(ourSigned.proof) ? ourSigned.proof[0] : ourSigned.proof;
const proofConfig = {...ourProof, '@context': credential['@context']};
delete proofConfig.proofValue;
const jsProofNquads = await canonize(proofConfig, {documentLoader});
report.checks.proofNquadsEqual = jsProofNquads === ourProofNquads;
if(!report.checks.proofNquadsEqual) {
  report.checks.proofNquadsFirstDifference = firstDifference(jsProofNquads, ourProofNquads);
}

// 2. cross-implementation: verify the credential signed by our Python code
const verifySuite = () => new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});
const crossResult = await vc.verifyCredential({
  credential: clone(ourSigned), suite: verifySuite(), documentLoader, checkStatus, now
});
report.checks.verifiesPythonSignedCredential = crossResult.verified === true;
if(!crossResult.verified) {
  report.checks.crossVerifyError = String(
    crossResult.error?.errors?.[0]?.message ?? crossResult.error?.message ??
    JSON.stringify(crossResult.results?.[0]?.error ?? crossResult.error));
}
// and a tampered copy must fail
const tampered = clone(ourSigned);
tampered.credentialSubject.achievement.name += ' (muokattu)';
const tamperedResult = await vc.verifyCredential({
  credential: tampered, suite: verifySuite(), documentLoader, checkStatus, now
});
report.checks.rejectsTamperedCredential = tamperedResult.verified === false;

// 3. sign with the same key and `created`: the proofValue must be ours
const signSuite = () => new DataIntegrityProof({
  signer: keyPair.signer(), date: keyInfo.created, cryptosuite: eddsaRdfc2022CryptoSuite
});
const jsSigned = await vc.issue({
  credential: clone(credential), suite: signSuite(), documentLoader, now
});
report.checks.sameProofValue = jsSigned.proof.proofValue === ourProof.proofValue;

// 4. timings
const it = args.iterations;
const wu = args.warmup;
report.results['DI sign (vc.issue)'] = await measure(() => vc.issue({
  credential: clone(credential), suite: signSuite(), documentLoader, now
}), it, wu);
report.results['DI verify (vc.verifyCredential)'] = await measure(async () => {
  const r = await vc.verifyCredential({
    credential: jsSigned, suite: verifySuite(), documentLoader, checkStatus, now
  });
  if(!r.verified) {
    throw new Error('JS-signed credential did not verify');
  }
}, it, wu);
const purpose = new AssertionProofPurpose({date: now});
report.results['DI sign (jsigs.sign)'] = await measure(() => jsigs.sign(clone(credential), {
  suite: signSuite(), purpose, documentLoader
}), it, wu);
report.results['DI verify (jsigs.verify)'] = await measure(async () => {
  const r = await jsigs.verify(jsSigned, {suite: verifySuite(), purpose, documentLoader});
  if(!r.verified) {
    throw new Error('JS-signed credential did not verify (jsigs)');
  }
}, it, wu);
report.results['canonize credential only'] = await measure(
  () => canonize(clone(credential), {documentLoader}), it, wu);

if(args.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const m = report.machine;
  console.log(`JS bench (Digital Bazaar stack), ${m.date}`);
  console.log(`  CPU: ${m.cpu}  nproc=${m.nproc}; Node ${m.node}; ${m.platform}`);
  console.log(`  ${'operation'.padEnd(32)} ${'median ms'.padStart(10)} ` +
    `${'p95 ms'.padStart(9)} ${'min ms'.padStart(9)}`);
  for(const [name, s] of Object.entries(report.results)) {
    console.log(`  ${name.padEnd(32)} ${s.median_ms.toFixed(3).padStart(10)} ` +
      `${s.p95_ms.toFixed(3).padStart(9)} ${s.min_ms.toFixed(3).padStart(9)}`);
  }
  console.log('  checks:');
  for(const [name, value] of Object.entries(report.checks)) {
    console.log(`    ${name}: ${typeof value === 'object' ? JSON.stringify(value) : value}`);
  }
}
const failed = ['sameKey', 'documentNquadsEqual', 'proofNquadsEqual',
  'verifiesPythonSignedCredential', 'rejectsTamperedCredential', 'sameProofValue']
  .filter(k => report.checks[k] !== true);
process.exitCode = failed.length ? 1 : 0;
