# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class InvitationError(UserError):
    pass


class ProfileError(ValidationError):
    pass


class PortalFormError(UserError):
    "An input of a portal form is refused"
    pass


class PortalConfigurationError(UserError):
    "The configuration lacks what the portal needs"
    pass
