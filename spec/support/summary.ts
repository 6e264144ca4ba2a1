// CI reads one plain closing line, `N passed, M failed`; Jasmine's own summary
// is not parsed, so this reporter prints it after every run.
let passed = 0;
let failed = 0;
let skipped = 0;

jasmine.getEnv().addReporter({
  specDone(result) {
    if (result.status === 'passed') passed++;
    else if (result.status === 'failed') failed++;
    else skipped++;
  },
  jasmineDone(result) {
    // A failure outside any spec (in afterAll, or an unhandled error) fails the run too.
    const extra = result.overallStatus === 'passed' || failed > 0 ? 0 : 1;
    process.stdout.write(`\n${passed} passed, ${failed + extra} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  },
});
