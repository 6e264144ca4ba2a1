// How a bench client process runs: main() once, its result or error sent to
// the parent, then exit; bounded in time by itself as well as by the parent.
'use strict';

/** Runs `main` (a function returning a promise of the result) as a child process of bench/run.js. */
function runChild(name, main) {
  setTimeout(
    () => {
      process.send?.({ error: `${name} timed out` });
      process.exit(3);
    },
    Number(process.env.BENCH_CLIENT_MAX_MS || 180_000),
  ).unref();
  process.on('disconnect', () => process.exit(4));
  main().then(
    (result) => process.send({ result }, () => process.exit(0)),
    (err) => process.send({ error: String(err?.stack ?? err) }, () => process.exit(1)),
  );
}

module.exports = { runChild };
