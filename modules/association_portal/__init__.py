# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.

from . import (
    routes, routes_account, routes_event, routes_invoice, routes_mailing,
    routes_matchmaking, routes_membership, routes_organisation,
    routes_partnership)

__all__ = [
    routes, routes_account, routes_event, routes_invoice, routes_mailing,
    routes_matchmaking, routes_membership, routes_organisation,
    routes_partnership]
