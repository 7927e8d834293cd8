#!/usr/bin/env python3
# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Make the Île-de-France extract of the official division files

Reads communes.json, epci.json and ept.json of Etalab's
decoupage-administratif and writes the same files restricted to one région
(Île-de-France by default): its communes (every row type, as in the full
file), the EPCI and EPT that have one of its communes as member, with all
their members."""
import argparse
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SOURCE = os.path.join(
    HERE, '..', '..', 'shared', 'data', 'decoupage-administratif')
DEFAULT_TARGET = os.path.join(
    HERE, '..', 'modules', 'association', 'data', 'idf')


def extract(source, target, region):
    def load(name):
        with open(os.path.join(source, name), encoding='utf-8') as fp:
            return json.load(fp)

    def dump(rows, name):
        with open(os.path.join(target, name), 'w', encoding='utf-8') as fp:
            json.dump(rows, fp, ensure_ascii=False, indent=0)
            fp.write('\n')

    os.makedirs(target, exist_ok=True)
    communes = [c for c in load('communes.json') if c.get('region') == region]
    codes = {c['code'] for c in communes if c['type'] == 'commune-actuelle'}
    dump(communes, 'communes.json')
    counts = {'communes.json': len(codes)}
    for name in ['epci.json', 'ept.json']:
        rows = [
            r for r in load(name)
            if any(m['code'] in codes for m in r['membres'])]
        dump(rows, name)
        counts[name] = len(rows)
    shutil.copy(os.path.join(source, 'LICENSE'), target)
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--source', default=DEFAULT_SOURCE)
    parser.add_argument('--target', default=DEFAULT_TARGET)
    parser.add_argument('--region', default='11',
        help="the INSEE code of the région (default: 11, Île-de-France)")
    args = parser.parse_args()
    counts = extract(args.source, args.target, args.region)
    for name, count in counts.items():
        print(f"{name}: {count}")


if __name__ == '__main__':
    main()
