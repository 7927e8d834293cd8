# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class DuesRuleError(ValidationError):
    pass


class MembershipError(ValidationError):
    pass


class DuesError(UserError):
    "A member whose dues cannot be computed or invoiced"
    pass


class CampaignError(UserError):
    pass
