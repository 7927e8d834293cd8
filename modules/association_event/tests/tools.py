# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Fixtures shared by the scenarios"
import datetime as dt
import io


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


def pdf_text(data):
    "Return the text of the PDF data"
    from pypdf import PdfReader
    reader = PdfReader(io.BytesIO(data))
    return '\n'.join(page.extract_text() for page in reader.pages)


def pdf_pages(data):
    from pypdf import PdfReader
    return len(PdfReader(io.BytesIO(data)).pages)
