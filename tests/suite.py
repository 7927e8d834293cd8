# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Run one unittest discovery and write its counts to a JSON file

Usage: python -m tests.suite RESULT.json START[,START...] TOP
The files discovered below each START (in one process, so that they share
the databases they build) match CONCORDE_TEST_PATTERN (default test*.py);
a START that ends with ".py" is a pattern of files (tests/*.py: those of
the folder, not below it).
The slowest tests and class set-ups are printed at the end, to keep the
suite short."""
import fnmatch
import glob
import json
import os
import resource
import sys
import time
import unittest

SLOWEST = 15


class TimedResult(unittest.TextTestResult):
    """Keep how long each test took and, apart, the set-up of its class
    (the database of its modules, built when the class starts: the time
    between the end of the previous test and its start)"""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.durations = []
        self._last = time.monotonic()

    def startTest(self, test):
        now = time.monotonic()
        if now - self._last >= 1:
            self.durations.append((
                    now - self._last, f"set-up before {test.id()}"))
        self._last = now
        super().startTest(test)

    def stopTest(self, test):
        super().stopTest(test)
        now = time.monotonic()
        self.durations.append((now - self._last, str(test)))
        self._last = now


def main():
    result_file, start, top = sys.argv[1:4]
    suite = unittest.TestSuite()
    pattern = os.environ.get('CONCORDE_TEST_PATTERN', 'test*.py')
    for path in start.split(','):
        if path.endswith('.py'):
            names = [
                os.path.relpath(f, top)[:-len('.py')].replace(os.sep, '.')
                for f in sorted(glob.glob(path))
                if fnmatch.fnmatch(os.path.basename(f), pattern)]
            suite.addTest(unittest.defaultTestLoader.loadTestsFromNames(
                    names))
        else:
            suite.addTest(unittest.defaultTestLoader.discover(
                    path, top_level_dir=top, pattern=pattern))
    runner = unittest.TextTestRunner(
        verbosity=2, stream=sys.stdout, resultclass=TimedResult)
    result = runner.run(suite)
    print("\nSlowest tests and set-ups:")
    for duration, name in sorted(result.durations, reverse=True)[:SLOWEST]:
        print(f"{duration:7.1f} s  {name}")
    counts = {
        'run': result.testsRun,
        'failed': len(result.failures) + len(result.errors)
        + len(result.unexpectedSuccesses),
        'skipped': len(result.skipped),
        }
    counts['passed'] = counts['run'] - counts['failed'] - counts['skipped']
    # The processor time of the suite and the processes it waited for (the
    # servers and browsers of the tests): on a small machine, what the
    # lanes share
    counts['cpu'] = sum(
        usage.ru_utime + usage.ru_stime for usage in map(
            resource.getrusage,
            [resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN]))
    # Every duration, for who looks for where the time goes
    counts['durations'] = sorted(result.durations, reverse=True)
    with open(result_file, 'w') as fp:
        json.dump(counts, fp)
    return 0 if result.wasSuccessful() else 1


if __name__ == '__main__':
    sys.exit(main())
