// replicate.js — the PouchDB comparison of issue 14: PouchDB 9 replicating 43,000 documents
// shaped like Lontar's enrollment entries from an office's local database to express-pouchdb 4
// on loopback, timed. Not part of CI (needs Node and npm packages); see README.md here.
//
// Usage: node replicate.js [--docs 43000] [--dir DIR] [--port 0]
// Prints the replication time and the rate. The local database is filled first (not timed),
// the server's database starts empty, and the timed part is one PouchDB.replicate() to it.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

function parseArgs(argv) {
  const args = {docs: 43000, dir: null, port: 0};
  for (let i = 2; i < argv.length; i += 2) {
    const k = argv[i], v = argv[i + 1];
    if (v === undefined) throw new Error(`${k} needs a value`);
    if (k === '--docs') args.docs = Number(v);
    else if (k === '--dir') args.dir = v;
    else if (k === '--port') args.port = Number(v);
    else throw new Error(`unknown option ${k} (--docs N, --dir DIR, --port P)`);
  }
  if (!Number.isInteger(args.docs) || args.docs < 1) throw new Error('--docs must be a positive integer');
  return args;
}

// One document per enrollment, with the fields of a Lontar entry (chain::Entry and the
// enrollment payload, docs/FORMAT.md §2-3): about the same size as its encoding.
function entry(i) {
  const seq = i + 1;
  const nik = String(3578010101800000 + i).padStart(16, '0');
  return {
    _id: `SBY-RUNGKUT/${String(seq).padStart(9, '0')}`,
    principal: 'SBY-RUNGKUT',
    seq,
    prev: (i * 2654435761 % 4294967296).toString(16).padStart(8, '0').repeat(8),
    recorded_at_ms: 1767225600000 + i * 1000,
    operator: 'clerk-01',
    kind: 'enrollment',
    payload: {
      nik,
      name: `Peserta Nomor ${seq} Binti Contoh`,
      birth_date: `19${60 + (i % 40)}-0${1 + (i % 9)}-1${i % 10}`,
      sex: i % 2 ? 'L' : 'P',
      address: `Jl. Rungkut Madya No. ${i % 300}, RT 0${i % 9}/RW 0${i % 7}, Surabaya`,
      occupation: 'nelayan',
      regency: '3578',
      phone: `08123${String(i).padStart(7, '0')}`,
      heirs: [
        {nik: String(3578010101900000 + i).padStart(16, '0'), name: `Ahli Waris ${seq}`, relation: 'anak'},
      ],
      sponsor: 'APBD-2026',
    },
  };
}

async function main() {
  const args = parseArgs(process.argv);
  const PouchDB = require('pouchdb');
  const expressPouchDB = require('express-pouchdb');
  const express = require('express');
  const dir = args.dir || fs.mkdtempSync(path.join(os.tmpdir(), 'lontar-pouchdb-'));
  fs.mkdirSync(path.join(dir, 'server'), {recursive: true});
  fs.mkdirSync(path.join(dir, 'office'), {recursive: true});
  const ServerDB = PouchDB.defaults({prefix: path.join(dir, 'server') + path.sep});
  const app = express();
  app.use('/', expressPouchDB(ServerDB, {mode: 'minimumForPouchDB', logPath: path.join(dir, 'log.txt')}));
  const server = await new Promise((resolve) => {
    const s = app.listen(args.port, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${server.address().port}/ledger`;

  const local = new PouchDB(path.join(dir, 'office', 'ledger'));
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < args.docs; i += 1000) {
    const docs = [];
    for (let k = i; k < Math.min(args.docs, i + 1000); ++k) docs.push(entry(k));
    await local.bulkDocs(docs);
  }
  const filled = Number(process.hrtime.bigint() - t0) / 1e9;
  const bytes = Buffer.byteLength(JSON.stringify(entry(0)));
  console.log(`local database filled with ${args.docs} docs (${bytes} bytes of JSON each) in ${filled.toFixed(2)} s`);

  const remote = new PouchDB(url);
  const t1 = process.hrtime.bigint();
  const result = await PouchDB.replicate(local, remote, {batch_size: 100});
  const s = Number(process.hrtime.bigint() - t1) / 1e9;
  const info = await remote.info();
  if (!result.ok || info.doc_count !== args.docs) {
    throw new Error(`replication incomplete: ${info.doc_count} of ${args.docs} docs on the server`);
  }
  console.log(`replicated ${args.docs} docs to express-pouchdb at ${url} in ${s.toFixed(2)} s ` +
              `(${Math.round(args.docs / s)} docs/s; ${result.docs_written} written)`);
  console.log(`load average: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  await local.close();
  await remote.close();
  server.close();
  if (!args.dir) fs.rmSync(dir, {recursive: true, force: true});
}

main().catch((e) => {
  console.error(`replicate.js: ${e.message}`);
  process.exit(1);
});
