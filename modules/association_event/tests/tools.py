# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Fixtures shared by the scenarios"
import datetime as dt


# The modules of the test database beside the module: the partnerships, with
# the French chart of accounts and the banks of their own tests, so that the
# database is built on theirs
EXTRAS = ['association_partnership', 'account_fr', 'bank']


def create_person(name, email=None, authority=None, office='mayor',
        start_date=dt.date(2020, 7, 1), config=None):
    "Create a person with an e-mail and, with an authority, a mandate"
    from proteus import Model
    Party = Model.get('party.party', config=config)
    person = Party(name=name, kind='person')
    if email:
        person.contact_mechanisms.new(type='email', value=email)
    if authority:
        person.mandates.new(
            authority=authority, office=office, start_date=start_date)
    person.save()
    return person


def create_organisation(name, kind='company', config=None):
    from proteus import Model
    Party = Model.get('party.party', config=config)
    organisation = Party(name=name, kind=kind)
    organisation.save()
    return organisation


def activate_event(*setup):
    """Activate the module with the partnerships, as the module's test case
    does (the database is shared), then run the set-up functions; return
    proteus' config"""
    from trytond.modules.association.tests.tools import activate
    return activate(
        'association_event', *setup, extras=EXTRAS)


def import_essonne(config):
    """Import the communes of Essonne of the 2026 official data with their
    contours (a set-up function)"""
    from trytond.modules.association.tests.tools import (
        dump_official_file, import_official_data, load_official_file)
    communes = [r for r in load_official_file('communes.json')
        if r.get('departement') == '91']
    import_official_data(dump_official_file(communes), contours=True)
