# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError


class MailingError(UserError):
    pass


class AudienceError(UserError):
    pass


class TokenError(UserError):
    pass


class BounceError(UserError):
    pass
