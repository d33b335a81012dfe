// The GraphQL over HTTP conformance audit of the graphql-http package, against a running
// server: `node audit.mjs http://127.0.0.1:8080/graphql`. Prints each audit; exits 1 unless every
// one is `ok`.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql endpoint URL>');
  process.exit(2);
}
const results = await auditServer({ url });
let failed = 0;
for (const result of results) {
  const line = `${result.status.padEnd(6)} ${result.id} ${result.name}`;
  if (result.status === 'ok') {
    console.log(line);
  } else {
    failed += 1;
    console.log(`${line}\n       ${result.reason}`);
  }
}
console.log(`graphql-http audit: ${results.length - failed}/${results.length} ok`);
process.exit(failed === 0 ? 0 : 1);
