# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Run one unittest discovery and write its counts to a JSON file

Usage: python -m tests.suite RESULT.json START TOP"""
import json
import sys
import unittest


def main():
    result_file, start, top = sys.argv[1:4]
    suite = unittest.defaultTestLoader.discover(start, top_level_dir=top)
    runner = unittest.TextTestRunner(verbosity=2, stream=sys.stdout)
    result = runner.run(suite)
    counts = {
        'run': result.testsRun,
        'failed': len(result.failures) + len(result.errors)
        + len(result.unexpectedSuccesses),
        'skipped': len(result.skipped),
        }
    counts['passed'] = counts['run'] - counts['failed'] - counts['skipped']
    with open(result_file, 'w') as fp:
        json.dump(counts, fp)
    return 0 if result.wasSuccessful() else 1


if __name__ == '__main__':
    sys.exit(main())
