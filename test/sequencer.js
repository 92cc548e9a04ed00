// jest's own order (failed first, then slowest by the last run's times, else largest file first), except that the
// files that run alone (test/run-alone.json, test/run-alone-environment.ts) go last: they wait for the files already running and
// then have the machine to themselves, after the static checks and cdk synths that run beside jest are done.
const Sequencer = require('@jest/test-sequencer').default;
const { paths } = require('./run-alone.json');

const runsAlone = (test) => paths.some((fragment) => test.path.replace(/\\/g, '/').includes(fragment));

class RunAloneLast extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    return [...sorted.filter((test) => !runsAlone(test)), ...sorted.filter(runsAlone)];
  }
}

module.exports = RunAloneLast;
