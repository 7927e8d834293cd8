#!/usr/bin/env python3
# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Concorde: Tryton modules for associations of local elected officials.

Every folder of ``modules/`` that holds a ``tryton.cfg`` is installed as the
package ``trytond.modules.<name>`` and declared in the ``trytond.modules``
entry points, so a new module is added by creating its folder.  The Tryton
modules it depends on are read from its ``tryton.cfg`` and pinned to the
8.0 LTS series.
"""
import configparser
import os

from setuptools import setup

HERE = os.path.dirname(os.path.abspath(__file__))
MODULES = os.path.join(HERE, 'modules')
SERIES = '8.0'
NEXT_SERIES = '8.1'
# Modules of trytond itself, not packaged apart
BASE_MODULES = {'ir', 'res'}
# The modules of this repository, never taken from PyPI
OWN_PREFIX = 'association'
DATA_SUFFIXES = (
    '.cfg', '.xml', '.po', '.fodt', '.odt', '.rst', '.json', '.csv', '.svg',
    '.png', '.txt', '.html', '.jinja2')


def series_require(name):
    return f'{name} >= {SERIES}, < {NEXT_SERIES}'


def module_names():
    return sorted(
        name for name in os.listdir(MODULES)
        if os.path.isfile(os.path.join(MODULES, name, 'tryton.cfg')))


def module_depends(name):
    config = configparser.ConfigParser()
    with open(os.path.join(MODULES, name, 'tryton.cfg')) as fp:
        config.read_file(fp)
    info = dict(config.items('tryton'))
    depends = set()
    for key in ['depends', 'extras_depend']:
        depends.update(info.get(key, '').split())
    return depends


def module_files(name):
    root = os.path.join(MODULES, name)
    packages, package_data = {}, {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != '__pycache__']
        if '__init__.py' not in filenames:
            continue
        relpath = os.path.relpath(dirpath, root)
        package = f'trytond.modules.{name}'
        if relpath != '.':
            package += '.' + relpath.replace(os.sep, '.')
        packages[package] = os.path.relpath(dirpath, HERE)
        data = []
        for subpath, subdirs, subfiles in os.walk(dirpath):
            subdirs[:] = [
                d for d in subdirs
                if not os.path.isfile(os.path.join(subpath, d, '__init__.py'))
                and d != '__pycache__']
            for filename in subfiles:
                if filename.endswith(DATA_SUFFIXES):
                    data.append(os.path.relpath(
                            os.path.join(subpath, filename), dirpath))
        package_data[package] = data
    return packages, package_data


packages, package_data, entry_points = {}, {}, []
own = set(module_names())
requires = {
    # PDF reports from HTML templates and QR codes on badges, as trytond
    # renders them
    series_require('trytond[html2text,qrcode,weasyprint]'),
    # iCalendar invitations of events and meetings
    'icalendar >= 5',
    # The speed-meeting scheduler (CP-SAT solver)
    'ortools >= 9.10',
    # The HTML templates of the portal (autoescaped)
    'Jinja2 >= 3.1',
    # The contours of the communes and the maps drawn from them
    'shapely >= 2.1',
    series_require('proteus'),
    'python-sql >= 1.5',
    }
# Activated by scripts/run beside the modules (config/modules)
with open(os.path.join(HERE, 'config', 'modules')) as fp:
    requires.update(series_require(f'trytond_{name}')
        for name in (line.strip() for line in fp)
        if name and not name.startswith('#'))
for name in own:
    module_packages, module_data = module_files(name)
    packages.update(module_packages)
    package_data.update(module_data)
    entry_points.append(f'{name} = trytond.modules.{name}')
    for depend in module_depends(name) - own - BASE_MODULES:
        if depend.startswith(OWN_PREFIX):
            # An optional module of this repository not written yet
            continue
        requires.add(series_require(f'trytond_{depend}'))

setup(
    name='concorde',
    version='0.1.0',
    description=__doc__.splitlines()[0],
    long_description=__doc__,
    license='GPL-3.0-or-later',
    python_requires='>=3.9',
    packages=sorted(packages),
    package_dir=packages,
    package_data=package_data,
    install_requires=sorted(requires),
    extras_require={
        'postgresql': ['psycopg[binary,pool] >= 3'],
        'test': [
            'playwright >= 1.40', 'flake8', 'pypdf', 'hypothesis',
            'zxing-cpp', 'pillow', 'aiosmtpd'],
        'demo': ['aiosmtpd'],
        'benchmark': ['gunicorn', 'locust', 'aiosmtpd'],
        },
    entry_points={
        'trytond.modules': sorted(entry_points),
        'console_scripts': [
            'concorde-import-official-data = '
            'trytond.modules.association.scripts.import_official_data:main',
            'concorde-import-officials = '
            'trytond.modules.association.scripts.import_officials:main',
            ],
        },
    zip_safe=False,
    )
