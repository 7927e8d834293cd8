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
  and 2027 and their move and invoice sequences;
- when partnerships are activated: the levels "Premium" and "Partenaire"
  and an active Premium convention with the (fictitious) company
  "Énergie Demo SAS", signed by its contact Claire Demo-Martin;
- when events are activated: the webinar cycle "Les maires face à la crise
  sanitaire" (three webinars in 2027, open for registration, Hélène
  Demo-Laurent registered to the first one) and the "Salon des maires
  d'Île-de-France 2027" (two days, two stands);
- when memberships are activated: the membership types Commune and EPCI
  with their service products (account 706), their 2027 dues rules
  (brackets by population, floor and cap) and the 2026 memberships of five
  communes (no dues campaign is run);
- when the portal is activated: the portal account of the partner's
  contact, partenaire@example.org with the password concorde-partner."""
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
# The fictitious partner of the demo and its contact
PARTNER = "Énergie Demo SAS"
CONTACT = "Claire Demo-Martin"
CONTACT_EMAIL = 'partenaire@example.org'
CONTACT_PASSWORD = 'concorde-partner'
# Partnership levels: (name, sequence, yearly contribution, stand size)
LEVELS = [
    ("Premium", 10, Decimal(15000), 18.0),
    ("Partenaire", 20, Decimal(5000), None),
    ]
WEBINAR_SERIES = "Les maires face à la crise sanitaire"
# Webinars: (title, start in UTC); 18:00 in Paris
WEBINARS = [
    ("Organiser la continuité des services municipaux",
        dt.datetime(VINTAGE + 1, 2, 10, 17, 0)),
    ("Accompagner les personnes vulnérables",
        dt.datetime(VINTAGE + 1, 3, 10, 17, 0)),
    ("Tirer les leçons de la crise",
        dt.datetime(VINTAGE + 1, 4, 14, 16, 0)),
    ]
TRADE_SHOW = "Salon des maires d'Île-de-France 2027"
# Stands: (number, size in m², location, price)
STANDS = [
    ('A01', 18.0, "Hall 1, allée A", Decimal(3600)),
    ('B12', 9.0, "Hall 1, allée B", Decimal(1800)),
    ]
# Membership types: (code, name, population basis, floor, cap, brackets
# of (from, to, fixed part, rate per inhabitant))
MEMBERSHIP_TYPES = [
    ('COM', "Commune", 'municipal', Decimal(50), Decimal(5000), [
            (0, 999, 50, '0'),
            (1000, 9999, 100, '0.10'),
            (10000, 49999, 500, '0.06'),
            (50000, None, 1500, '0.04'),
            ]),
    ('EPCI', "EPCI", 'total', Decimal(500), Decimal(10000), [
            (0, None, 0, '0.02'),
            ]),
    ]
# Communes members in 2026: Versailles, Boulogne-Billancourt, Meaux,
# Melun and Évry-Courcouronnes
MEMBERS = ['78646', '92012', '77284', '77288', '91228']


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


def setup_modules(database, say):
    "Create the demo records of the activated modules of the association"
    from proteus import Model
    from proteus import config as pconfig
    config = pconfig.set_trytond(database)
    Module = Model.get('ir.module', config=config)
    activated = {m.name for m in Module.find([
                ('name', 'in', [
                        'association_partnership', 'association_event',
                        'association_membership', 'association_portal']),
                ('state', '=', 'activated'),
                ])}
    if not activated:
        return
    User = Model.get('res.user', config=config)
    config._context = User.get_preferences(True, config.context)
    if 'association_partnership' in activated:
        setup_partnership(config, say)
    if 'association_event' in activated:
        setup_events(config, say)
    if 'association_membership' in activated:
        setup_membership(config, say)
    if 'association_portal' in activated:
        setup_portal(config, say)


def get_partner(config, say):
    "Return the demo partner company and its contact, created if missing"
    from proteus import Model
    Party = Model.get('party.party', config=config)
    parties = Party.find([('name', '=', PARTNER), ('kind', '=', 'company')])
    if parties:
        partner = parties[0]
    else:
        partner = Party(name=PARTNER, kind='company')
        partner.save()
        say(f"Partner {PARTNER} created")
    persons = Party.find([('name', '=', CONTACT), ('kind', '=', 'person')])
    if persons:
        contact = persons[0]
    else:
        contact = Party(name=CONTACT, kind='person')
        contact.contact_mechanisms.new(type='email', value=CONTACT_EMAIL)
        contact.save()
        say(f"Contact {CONTACT} created")
    return partner, contact


def setup_partnership(config, say):
    "Create the partnership levels and a convention with the demo partner"
    from proteus import Model
    Level = Model.get('association.partnership.level', config=config)
    Convention = Model.get('association.convention', config=config)
    levels = {}
    for name, sequence, contribution, stand_size in LEVELS:
        found = Level.find([('name', '=', name)])
        if found:
            levels[name] = found[0]
            continue
        level = Level(name=name, sequence=sequence,
            yearly_contribution=contribution)
        level.stand = bool(stand_size)
        if stand_size:
            level.stand_size = stand_size
        level.save()
        levels[name] = level
        say(f"Partnership level {name} created")
    partner, contact = get_partner(config, say)
    if Convention.find([('parties', '=', partner.id)]):
        return
    convention = Convention(kind='partnership',
        object=f"Partenariat Premium {VINTAGE}–{VINTAGE + 1}")
    convention.level = levels["Premium"]
    convention.parties.append(partner)
    convention.signature_date = dt.date(VINTAGE - 1, 12, 15)
    convention.signature_place = "Paris"
    convention.start_date = dt.date(VINTAGE, 1, 1)
    convention.end_date = dt.date(VINTAGE + 1, 12, 31)
    convention.renewal = 'explicit'
    signatory = convention.signatories.new(side='partner')
    signatory.person = contact
    signatory.capacity = "Directrice de la communication"
    convention.save()
    convention.click('sign')
    convention.click('activate')
    say(f"Convention {convention.number} with {PARTNER} signed "
        "and active")


def setup_events(config, say):
    "Create a cycle of webinars and the trade show of 2027"
    from proteus import Model
    Event = Model.get('association.event', config=config)
    Party = Model.get('party.party', config=config)
    Registration = Model.get(
        'association.event.registration', config=config)
    Series = Model.get('association.event.series', config=config)
    found = Series.find([('name', '=', WEBINAR_SERIES)])
    if found:
        series, = found
    else:
        series = Series(name=WEBINAR_SERIES, kind='webinar')
        series.description = (
            "Retours d'expérience et outils pour les équipes municipales.")
        series.save()
        say(f"Series {WEBINAR_SERIES} created")
    to_open = []
    for index, (name, start) in enumerate(WEBINARS, 1):
        if Event.find([('name', '=', name), ('series', '=', series.id)]):
            continue
        event = Event(name=name, kind='webinar', format='online',
            series=series)
        event.start = start
        event.end = start + dt.timedelta(hours=1, minutes=30)
        event.online_url = f'https://webinaires.example.org/crise-{index}'
        event.capacity = 500
        to_open.append(event)
    if not Event.find([('name', '=', TRADE_SHOW)]):
        event = Event(name=TRADE_SHOW, kind='trade_show', format='on_site')
        event.venue = "Paris Expo Porte de Versailles"
        event.address = "1 place de la Porte de Versailles\n75015 Paris"
        event.start = dt.datetime(VINTAGE + 1, 6, 15, 7, 0)
        event.end = dt.datetime(VINTAGE + 1, 6, 16, 16, 0)
        partners = Party.find([('name', '=', PARTNER)], limit=1)
        for (number, size, location, price), exhibitor in zip(
                STANDS, partners + [None]):
            event.stands.new(number=number, size=size, location=location,
                price=price, exhibitor=exhibitor)
        to_open.append(event)
    if to_open:
        Event.save(to_open)
        Event.click(to_open, 'open')
        say(f"{len(to_open)} events created and opened")
    persons = Party.find([
            ('name', '=', OFFICIALS[0][1]), ('kind', '=', 'person')])
    webinars = Event.find([('series', '=', series.id)],
        order=[('start', 'ASC')], limit=1)
    if persons and webinars and not Registration.find([
                ('person', '=', persons[0].id),
                ('event', '=', webinars[0].id),
                ]):
        registration = Registration(event=webinars[0])
        registration.person = persons[0]
        registration.save()
        say(f"{persons[0].name} registered to {webinars[0].name}")


def setup_membership(config, say):
    "Create the membership types, their 2027 rules and 2026 memberships"
    from proteus import Model
    Account = Model.get('account.account', config=config)
    Category = Model.get('product.category', config=config)
    Membership = Model.get('association.membership', config=config)
    ModelData = Model.get('ir.model.data', config=config)
    Party = Model.get('party.party', config=config)
    Rule = Model.get('association.dues.rule', config=config)
    Template = Model.get('product.template', config=config)
    Type = Model.get('association.membership.type', config=config)
    Uom = Model.get('product.uom', config=config)
    types = {}
    for code, name, basis, floor, cap, brackets in MEMBERSHIP_TYPES:
        found = Type.find([('code', '=', code)])
        if found:
            types[code], = found
            continue
        categories = Category.find([('name', '=', "Cotisations")])
        if categories:
            category, = categories
        else:
            accounts = (Account.find([('code', '=', '756')])
                or Account.find([('code', '=', '706')]))
            if not accounts:
                say("No revenue account for the dues: no membership type")
                return
            category = Category(name="Cotisations", accounting=True)
            category.account_revenue = accounts[0]
            category.save()
        template = Template(name=f"Cotisation {name}", type='service',
            account_category=category)
        template.default_uom = Uom(ModelData.get_id(
                'product', 'uom_unit', config.context))
        template.list_price = Decimal(0)
        template.save()
        product, = template.products
        type_ = Type(name=name, code=code, product=product)
        type_.save()
        types[code] = type_
        say(f"Membership type {name} created")
    for code, name, basis, floor, cap, brackets in MEMBERSHIP_TYPES:
        if Rule.find([('type', '=', types[code].id),
                    ('year', '=', VINTAGE + 1)]):
            continue
        rule = Rule(type=types[code], year=VINTAGE + 1,
            population_basis=basis, minimum=floor, maximum=cap,
            rounding=Decimal(1), proration='month')
        for start, end, fixed, rate in brackets:
            rule.brackets.new(population_from=start, population_to=end,
                fixed_amount=Decimal(fixed), rate=Decimal(rate))
        rule.save()
        say(f"Dues rule {name} {VINTAGE + 1} created")
    communes = Party.find([
            ('kind', '=', 'commune'), ('official_code', 'in', MEMBERS)])
    members = {m.party.id for m in Membership.find([
                ('type', '=', types['COM'].id), ('year', '=', VINTAGE)])}
    memberships = [Membership(party=c, type=types['COM'], year=VINTAGE,
            join_date=dt.date(VINTAGE, 1, 1))
        for c in communes if c.id not in members]
    if memberships:
        Membership.save(memberships)
        say(f"{len(memberships)} memberships {VINTAGE} created")


def setup_portal(config, say):
    "Give the contact of the demo partner an account on the portal"
    from proteus import Model
    WebUser = Model.get('web.user', config=config)
    if WebUser.find([('email', '=', CONTACT_EMAIL)]):
        return
    partner, contact = get_partner(config, say)
    user = WebUser(email=CONTACT_EMAIL, email_valid=True,
        party=contact, organisation=partner)
    user.password = CONTACT_PASSWORD
    user.save()
    say(f"Portal account {CONTACT_EMAIL} created")


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
    say = print if not args.quiet else lambda message: None
    setup_accounting(args.database, say=say)
    setup_modules(args.database, say=say)


if __name__ == '__main__':
    sys.exit(main())
