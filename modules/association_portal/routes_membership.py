# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The pages of the portal for the membership dues

A member (commune, EPCI, associate member) sees its memberships by year and
downloads the dues-call letter, which is the document of its dues
invoice."""
from itertools import groupby

from .membership import organisation_memberships
from .page import route


@route('/dues', requires=['association.membership'])
def dues(page):
    page.section = 'dues'
    memberships, summaries = organisation_memberships(page.organisation)
    years = [
        (year, list(year_memberships))
        for year, year_memberships in groupby(
            memberships, key=lambda m: m.year)]
    return page.render(
        'membership/dues.html', years=years, summaries=summaries)
