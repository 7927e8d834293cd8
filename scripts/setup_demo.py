#!/usr/bin/env python3
# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Prepare a Concorde database for its first users and load the demo data

Idempotent: what exists is kept, what is missing is created.
- the first-login configuration wizards are marked done, the administrator
  speaks French, the association is the company (in euros);
- two demo users: staff (association staff) and treasurer;
- the Île-de-France communes, EPCI and EPT of the 2026 official data;
- the 2020 and 2026 municipal terms and a few (fictitious) elected
  officials;
- when the accounting modules are activated: the French chart of accounts
  (plan comptable général) of the association, with its fiscal years 2026
  and 2027 and their move and invoice sequences."""
import argparse
import datetime as dt
import os
import sys
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
VINTAGE = 2026
USERS = [
    ('staff', "Camille Staff", 'concorde-staff',
        ['association.group_association_staff']),
    ('treasurer', "Dominique Trésorier", 'concorde-treasurer',
        ['association.group_association_treasurer']),
    ]
# Fictitious elected officials: (INSEE code, name, office, term, start)
OFFICIALS = [
    ('78646', "Hélène Demo-Laurent", 'mayor', '2020', dt.date(2020, 5, 23)),
    ('78646', "Hélène Demo-Laurent", 'mayor', '2026', dt.date(2026, 3, 27)),
    ('92012', "Marc Demo-Perrin", 'mayor', '2020', dt.date(2020, 5, 25)),
    ('92012', "Sophie Demo-Garnier", 'mayor', '2026', dt.date(2026, 3, 28)),
    ('92012', "Julien Demo-Roux", 'deputy_mayor', '2026',
        dt.date(2026, 3, 28)),
    ('77288', "Nadia Demo-Benali", 'mayor', '2026', dt.date(2026, 3, 27)),
    ('95127', "Paul Demo-Lefèvre", 'mayor', '2026', dt.date(2026, 3, 29)),
    ]
TERMS = {
    '2020': ("Municipal term 2020–2026", dt.date(2020, 3, 15),
        dt.date(2020, 5, 18), dt.date(2026, 3, 21)),
    '2026': ("Municipal term 2026–2032", dt.date(2026, 3, 15),
        dt.date(2026, 3, 22), None),
    }


def setup(database, data_path=None, verbose=True):
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    def say(message):
        if verbose:
            print(message)

    pool = Pool(database)
    pool.init()
    with Transaction().start(database, 0) as transaction:
        Item = pool.get('ir.module.config_wizard.item')
        Lang = pool.get('ir.lang')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        Group = pool.get('res.group')

        Item.write(Item.search([('state', '!=', 'done')]), {'state': 'done'})

        french, = Lang.search([('code', '=', 'fr')])
        if not french.translatable:
            french.translatable = True
            french.save()
        company = setup_company()

        admin, = User.search([('login', '=', 'admin')])
        admin.language = french
        admin.companies = [company]
        admin.company = company
        admin.save()

        for login, name, password, groups in USERS:
            if User.search([('login', '=', login)]):
                continue
            User(login=login, name=name, password=password,
                language=french, companies=[company], company=company,
                groups=[Group(ModelData.get_id(*g.split('.')))
                    for g in groups]).save()
            say(f"User {login} created")

        Party = pool.get('party.party')
        if not Party.search([('kind', '=', 'commune')], limit=1):
            from trytond.modules.association.official_data import (
                OfficialData, import_official_data)
            if data_path is None:
                import trytond.modules.association as module
                data_path = os.path.join(
                    os.path.dirname(module.__file__), 'data', 'idf')
            summary = import_official_data(
                OfficialData.read_folder(VINTAGE, data_path))
            say(f"Official data {VINTAGE}: {summary['created']} "
                "authorities created")
        setup_officials(say)
        transaction.commit()


def setup_accounting(database, say):
    "Create the French chart of accounts and the fiscal years"
    from proteus import Model, Wizard
    from proteus import config as pconfig
    config = pconfig.set_trytond(database)
    Module = Model.get('ir.module', config=config)
    if not Module.find([('name', '=', 'account_fr'),
                ('state', '=', 'activated')]):
        return
    User = Model.get('res.user', config=config)
    config._context = User.get_preferences(True, config.context)
    Company = Model.get('company.company', config=config)
    Account = Model.get('account.account', config=config)
    company, = Company.find([], limit=1)
    ModelData = Model.get('ir.model.data', config=config)
    if not Account.find([('company', '=', company.id)], limit=1):
        Template = Model.get('account.account.template', config=config)
        create_chart = Wizard('account.create_chart', config=config)
        create_chart.execute('account')
        create_chart.form.account_template = Template(
            ModelData.get_id('account_fr', 'root', config.context))
        create_chart.form.company = company
        create_chart.execute('create_account')
        receivable, = Account.find([
                ('company', '=', company.id), ('code', '=', '4111')])
        payable, = Account.find([
                ('company', '=', company.id), ('code', '=', '4011')])
        create_chart.form.account_receivable = receivable
        create_chart.form.account_payable = payable
        create_chart.execute('create_properties')
        say("French chart of accounts created")
    FiscalYear = Model.get('account.fiscalyear', config=config)
    SequenceStrict = Model.get('ir.sequence.strict', config=config)
    SequenceType = Model.get('ir.sequence.type', config=config)
    move_type = SequenceType(ModelData.get_id(
            'account', 'sequence_type_account_move', config.context))
    invoice_type = SequenceType(ModelData.get_id(
            'account_invoice', 'sequence_type_account_invoice',
            config.context))
    for year in [VINTAGE, VINTAGE + 1]:
        if FiscalYear.find([('company', '=', company.id),
                    ('start_date', '<=', dt.date(year, 6, 30)),
                    ('end_date', '>=', dt.date(year, 6, 30))]):
            continue
        fiscalyear = FiscalYear(
            name=str(year), company=company,
            start_date=dt.date(year, 1, 1), end_date=dt.date(year, 12, 31))
        fiscalyear.move_sequence = SequenceStrict(
            name=f"Écritures {year}", sequence_type=move_type,
            company=company)
        fiscalyear.move_sequence.save()
        invoice_sequence = SequenceStrict(
            name=f"Factures {year}", sequence_type=invoice_type,
            company=company, prefix=f"{year}-")
        invoice_sequence.save()
        sequences, = fiscalyear.invoice_sequences
        sequences.out_invoice_sequence = invoice_sequence
        sequences.in_invoice_sequence = invoice_sequence
        sequences.out_credit_note_sequence = invoice_sequence
        sequences.in_credit_note_sequence = invoice_sequence
        fiscalyear.save()
        fiscalyear.click('create_period')
        say(f"Fiscal year {year} created")


def setup_company():
    from trytond.pool import Pool
    pool = Pool()
    Company = pool.get('company.company')
    Currency = pool.get('currency.currency')
    Party = pool.get('party.party')
    companies = Company.search([], limit=1)
    if companies:
        return companies[0]
    currencies = Currency.search([('code', '=', 'EUR')], limit=1)
    if currencies:
        euro, = currencies
    else:
        euro = Currency(name="Euro", code='EUR', symbol="€",
            numeric_code="978", rounding=Decimal("0.01"), digits=2)
        euro.save()
    party = Party(
        name="Association des maires d'Île-de-France (démo)",
        kind='association')
    party.save()
    company = Company(party=party, currency=euro, timezone='Europe/Paris')
    company.save()
    return company


def setup_officials(say):
    from trytond.pool import Pool
    pool = Pool()
    Term = pool.get('association.mandate.term')
    Mandate = pool.get('association.mandate')
    Party = pool.get('party.party')
    if Term.search([], limit=1):
        return
    terms = {}
    for key, (name, election, start, end) in TERMS.items():
        terms[key] = Term(name=name, election_date=election,
            start_date=start, end_date=end)
    Term.save(list(terms.values()))
    persons = {}
    mandates = []
    for code, name, office, term, start in OFFICIALS:
        communes = Party.search([
                ('kind', '=', 'commune'), ('official_code', '=', code)])
        if not communes:
            continue
        commune, = communes
        if name not in persons:
            persons[name] = Party(name=name, kind='person')
            persons[name].save()
        term = terms[term]
        mandates.append(Mandate(
                person=persons[name], authority=commune, office=office,
                term=term, start_date=start, end_date=term.end_date))
    Mandate.save(mandates)
    say(f"{len(mandates)} demo mandates created")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('-c', '--config', dest='configfile', required=True)
    parser.add_argument('-d', '--database', required=True)
    parser.add_argument('--data', help="folder of the official data files")
    parser.add_argument('-q', '--quiet', action='store_true')
    args = parser.parse_args()
    from trytond import config
    config.update_etc(args.configfile)
    setup(args.database, args.data, verbose=not args.quiet)
    setup_accounting(args.database, say=(
            print if not args.quiet else lambda message: None))


if __name__ == '__main__':
    sys.exit(main())
