/** `--runs N`, the only flag of the benches that take no other: a bad or unknown argument is one line naming it. */
export function parseRuns(argv: readonly string[], defaultRuns = 3): { runs: number } {
  let runs = defaultRuns;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') {
      runs = Number(argv[++i]);
      if (!Number.isInteger(runs) || runs < 1) throw new Error(`Invalid --runs "${argv[i]}": expected a positive integer, e.g. --runs 3`);
    } else throw new Error(`Unknown argument "${argv[i]}": expected --runs N`);
  }
  return { runs };
}
