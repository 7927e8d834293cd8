# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import PoolMeta


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    @classmethod
    def _get_preferences(cls, user, context_only=False):
        preferences = super()._get_preferences(
            user, context_only=context_only)
        locale = preferences.get('locale')
        if locale:
            # The desktop client 8.0 inserts a formatted number into its
            # entries with its length in bytes, which GTK takes for
            # characters: a thousands separator out of ASCII (the no-break
            # space of French) leaves the entry empty.  The clients get a
            # space, the reports keep the language's separator.
            for key in ['thousands_sep', 'mon_thousands_sep']:
                if locale.get(key) and not locale[key].isascii():
                    locale[key] = ' '
        return preferences
