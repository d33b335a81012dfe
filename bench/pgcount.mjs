// A pass-through TCP proxy in front of PostgreSQL that counts the messages clients send, so
// the benchmark can report SQL statements (and round trips) per GraphQL request for any server.
//   node pgcount.mjs <listen port> <postgres host> <postgres port> <http port>
// GET http://127.0.0.1:<http port>/ returns the counters as JSON; /reset zeroes them.
// Clients must connect without TLS (sslmode=disable), or the stream cannot be read.
//   simple   Query ('Q'): a statement over the simple protocol, one round trip each
//   executes Execute ('E'): a statement over the extended protocol
//   syncs    Sync ('S'): ends an extended-protocol round trip (a bare Sync is a ping)
//   parses   Parse ('P'): a statement prepared (not found in the client's statement cache)
import net from "node:net";
import http from "node:http";

const [listenPort, pgHost, pgPort, httpPort] = process.argv.slice(2);
const counts = { simple: 0, executes: 0, syncs: 0, parses: 0, connections: 0 };

net
  .createServer((client) => {
    counts.connections++;
    const upstream = net.connect(Number(pgPort), pgHost);
    let pending = Buffer.alloc(0);
    let startup = true;
    client.on("data", (chunk) => {
      upstream.write(chunk);
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      for (;;) {
        if (startup) {
          // Untyped startup packets: int32 length, int32 code.
          if (pending.length < 8) break;
          const length = pending.readInt32BE(0);
          if (pending.length < length) break;
          const code = pending.readInt32BE(4);
          pending = pending.subarray(length);
          // SSLRequest / GSSENCRequest precede the real startup message.
          if (code !== 80877103 && code !== 80877104) startup = false;
          continue;
        }
        if (pending.length < 5) break;
        const length = pending.readInt32BE(1);
        if (pending.length < 1 + length) break;
        const type = String.fromCharCode(pending[0]);
        if (type === "Q") counts.simple++;
        else if (type === "E") counts.executes++;
        else if (type === "S") counts.syncs++;
        else if (type === "P") counts.parses++;
        pending = pending.subarray(1 + length);
      }
    });
    upstream.on("data", (chunk) => client.write(chunk));
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", close);
    upstream.on("close", close);
    client.on("error", close);
    upstream.on("error", close);
  })
  .listen(Number(listenPort), "127.0.0.1");

http
  .createServer((req, res) => {
    if (req.url === "/reset") {
      for (const key of Object.keys(counts)) if (key !== "connections") counts[key] = 0;
    }
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(counts));
  })
  .listen(Number(httpPort), "127.0.0.1");
