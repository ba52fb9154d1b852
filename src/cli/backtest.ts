/** `lodestone backtest`: the model replays past disruptions (data/episodes.csv) and is scored against what was seen. */
import type { Command } from 'commander';
import { type BacktestRow, type ObservedRange, runBacktest, SCORED_YEARS } from '../model/backtest.ts';
import { InputError } from '../model/document.ts';
import { loadCheckedDataset, withDataOption } from './data.ts';
import { renderTable } from './table.ts';

interface BacktestOptions {
  data?: string[];
  episode?: string;
  json?: boolean;
}

const multiple = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : `×${x.toFixed(2)}`);
const range = (o: ObservedRange | undefined) =>
  o === undefined ? '-' : o.count === 1 ? multiple(o.central) : `${multiple(o.min)}–${o.max.toFixed(2)} (${o.count})`;
const signed = (x: number | undefined) => (x === undefined ? '-' : `${x >= 0 ? '+' : ''}${x.toFixed(2)}`);

export function registerBacktestCommand(program: Command): void {
  withDataOption(
    program
      .command('backtest')
      .description('replay past disruptions (data/episodes.csv) on the base-year world and compare price multiples')
      .option('--episode <id>', 'one episode only')
      .option('--json', 'print JSON'),
  ).action((opts: BacktestOptions) => {
    const catalog = loadCheckedDataset(opts);
    let result: ReturnType<typeof runBacktest>;
    try {
      result = runBacktest(catalog, opts.episode !== undefined ? { episode: opts.episode } : {});
    } catch (e) {
      if (e instanceof RangeError) throw new InputError(`--episode: ${e.message}`);
      throw e;
    }
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return;
    }
    const sides = result.rows.flatMap((r) =>
      (['inside', 'outside'] as const)
        .filter((side) => side === 'inside' || r.observed.outside !== undefined)
        .map((side) => ({ r, side })),
    );
    const { summary } = result;
    const lines = [
      `Past disruptions replayed on the ${result.year} world: each cut as an export quota on the actor, one year's`,
      'equilibrium against the unshocked one; price multiples on the restricted side (inside) and the spared side',
      "(outside: the actor's own market and destinations the measure spared), against the multiples observed.",
      '',
      sides.length === 0
        ? 'Nothing could be replayed.'
        : renderTable(sides, [
            { header: 'episode', value: ({ r }: { r: BacktestRow }) => `${r.episode}${r.scored ? '' : ' †'}` },
            { header: 'commodity', value: ({ r }) => r.commodity },
            { header: 'measure', value: ({ r }) => r.measure },
            { header: 'cut', value: ({ r }) => `${Math.round(r.cut * 100)}%`, align: 'right' },
            { header: 'side', value: ({ side }) => side },
            { header: 'model', value: ({ r, side }) => multiple(r.modelled[side]), align: 'right' },
            { header: 'observed', value: ({ r, side }) => range(r.observed[side]), align: 'right' },
            { header: 'log10 error', value: ({ r, side }) => signed(r.logError[side]), align: 'right' },
            {
              header: 'direction',
              value: ({ r, side }) => {
                const agrees = r.directionAgrees[side];
                return agrees === undefined ? '-' : agrees ? 'agrees' : 'differs';
              },
            },
          ]),
      '',
      ...(result.rows.some((r) => !r.scored)
        ? [
            `† more than ${SCORED_YEARS} years before the base year: shown, not scored (the base-year world is not the one it hit).`,
          ]
        : []),
      // No comparison scored (an episode the sources give no cut for, or only old ones): no rate and no median.
      summary.comparisons > 0
        ? `Scored: ${summary.comparisons} comparison${summary.comparisons === 1 ? '' : 's'}; direction agrees in ${(summary.directionAgreement * 100).toFixed(0)}%; ` +
          `median |log10(model / observed)| ${summary.medianAbsLogError.toFixed(2)} ` +
          `(a factor of ${(10 ** summary.medianAbsLogError).toFixed(1)}).`
        : 'Scored: no comparison (nothing replayed here has an observed multiple within the scored years).',
      ...result.skipped.map((s) => `Not replayed: ${s.episode} (${s.commodities.join(', ')}): ${s.reason}.`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}
