import { parseStartArgs, runtimeOptions } from './roles';

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
