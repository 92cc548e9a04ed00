import fc from 'fast-check';
import { defaultAggregateProcesses, parseStartArgs, runtimeOptions, StartArgsError } from './roles';

describe('npm start arguments', () => {
  it('runs every role with the demo by default', () => {
    expect(parseStartArgs([])).toEqual({
      roles: ['http', 'aggregate', 'alert', 'dispatch', 'scheduler'],
      only: false,
      demo: true,
    });
    expect(parseStartArgs(['--no-demo'])).toEqual({
      roles: ['http', 'aggregate', 'alert', 'dispatch', 'scheduler'],
      only: false,
      demo: false,
    });
  });

  it('runs only the named roles, comma-separated, in either spelling', () => {
    expect(parseStartArgs(['--only', 'aggregate'])).toEqual({ roles: ['aggregate'], only: true, demo: true });
    expect(parseStartArgs(['--only=scheduler,http', '--no-demo'])).toEqual({
      roles: ['http', 'scheduler'],
      only: true,
      demo: false,
    });
  });

  it('refuses unknown roles, a missing list and unknown options with one clear line', () => {
    expect(() => parseStartArgs(['--only', 'aggregate,alerts'])).toThrow(
      /unknown role alerts; roles are http, aggregate, alert, dispatch, scheduler/,
    );
    expect(() => parseStartArgs(['--only'])).toThrow(/--only needs roles/);
    expect(() => parseStartArgs(['--only', ','])).toThrow(/no roles/);
    expect(() => parseStartArgs(['--fast'])).toThrow(/unknown option --fast/);
  });

  it('takes the number of aggregate processes, 0 to 16, and refuses it where there is no aggregate role', () => {
    expect(parseStartArgs(['--aggregate-processes', '3'])).toMatchObject({ only: false, aggregateProcesses: 3 });
    expect(parseStartArgs(['--aggregate-processes=0', '--no-demo'])).toMatchObject({ aggregateProcesses: 0 });
    expect(parseStartArgs(['--only', 'http,aggregate', '--aggregate-processes', '2'])).toMatchObject({
      roles: ['http', 'aggregate'],
      aggregateProcesses: 2,
    });
    expect(parseStartArgs(['--only', 'http', '--aggregate-processes', '0'])).toMatchObject({ aggregateProcesses: 0 });
    for (const bad of ['', 'x', '-1', '1.5', '17', '100', ' 2'])
      expect(() => parseStartArgs([`--aggregate-processes=${bad}`])).toThrow(/give a whole number from 0/);
    expect(() => parseStartArgs(['--aggregate-processes'])).toThrow(/--aggregate-processes \(nothing\)/);
    expect(() => parseStartArgs(['--only', 'http', '--aggregate-processes', '2'])).toThrow(
      /does not include it; add aggregate to --only/,
    );
  });

  it('for any text as the number of processes: a whole number 0–16 taken as written, or one line saying how to fix it', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 8 }), // all of Unicode, lone surrogates included
      fc.integer({ min: -20, max: 40 }).map(String),
      fc.stringMatching(/^[0-9]{1,4}$/),
      fc.constantFrom('16', '17', '0', '00', '016', '1e1', '0x3', '٣', '３', '+2', '2 ', '\n2'),
    );
    fc.assert(
      fc.property(text, fc.boolean(), (value, separate) => {
        const argv = separate ? ['--aggregate-processes', value] : [`--aggregate-processes=${value}`];
        let parsed: ReturnType<typeof parseStartArgs> | undefined;
        try {
          parsed = parseStartArgs(argv);
        } catch (e) {
          expect(e).toBeInstanceOf(StartArgsError);
          const message = (e as Error).message;
          expect(message).not.toMatch(/[\r\n\u2028\u2029]/);
          expect(message).toMatch(/give a whole number from 0 .* to 16$/);
          // Refused only what is not a whole number 0–16 in plain digits.
          expect(/^[0-9]+$/.test(value) && Number(value) <= 16).toBe(false);
          return;
        }
        expect(/^[0-9]+$/.test(value)).toBe(true);
        expect(parsed.aggregateProcesses).toBe(Number(value));
        expect(parsed.aggregateProcesses).toBeGreaterThanOrEqual(0);
        expect(parsed.aggregateProcesses).toBeLessThanOrEqual(16);
      }),
      { numRuns: 2_000 },
    );
  });

  it('gives the full platform one aggregate process of its own on two cores or more, none otherwise', () => {
    expect(defaultAggregateProcesses(parseStartArgs([]), 2)).toBe(1);
    expect(defaultAggregateProcesses(parseStartArgs([]), 1)).toBe(0);
    expect(defaultAggregateProcesses(parseStartArgs(['--only', 'aggregate']), 8)).toBe(0);
    expect(defaultAggregateProcesses(parseStartArgs(['--aggregate-processes', '0']), 8)).toBe(0);
    expect(defaultAggregateProcesses(parseStartArgs(['--aggregate-processes', '3']), 1)).toBe(3);
  });

  it('maps roles onto the runtime’s parts', () => {
    expect(runtimeOptions(['aggregate'])).toEqual({
      http: false,
      consumers: true,
      alerts: false,
      dispatch: false,
      scheduler: false,
    });
    expect(runtimeOptions(['http', 'scheduler'])).toEqual({
      http: true,
      consumers: false,
      alerts: false,
      dispatch: false,
      scheduler: true,
    });
    expect(runtimeOptions(['alert', 'dispatch'])).toEqual({
      http: false,
      consumers: false,
      alerts: true,
      dispatch: true,
      scheduler: false,
    });
  });
});
