# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What the command-line tools of the association share

They speak French, like the association's staff: their own lines are
written here in French, and the messages of the modules come in the
language of the user who imports, French when the user has none."""
import argparse
import os


class CommandError(Exception):
    "An error the tool reports on one line, without a traceback"


def argument_parser(prog, description):
    """Return the parser of a tool with the options they all have: the
    configuration, the database and the user who imports"""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument('-c', '--config', dest='configfile',
        default=os.environ.get('TRYTOND_CONFIG'),
        help="le fichier de configuration de trytond")
    parser.add_argument('-d', '--database', dest='database', required=True,
        help="le nom de la base de données")
    parser.add_argument('--user', default='admin',
        help="l'identifiant de l'utilisateur qui importe (par défaut : "
        "admin)")
    return parser


def configure(configfile):
    "Read the configuration file of trytond"
    from trytond import config
    config.update_etc(configfile)
    # trytond makes the path of SQLite databases absolute by joining it to
    # the root: a path relative to the current folder must be made absolute
    # first (TRYTOND_DATABASE__PATH=var/db)
    path = config.get('database', 'path')
    if path and not os.path.isabs(path):
        config.set('database', 'path', os.path.abspath(path))


def open_database(database, login):
    """Return the id and the context of the user of login in database, or
    raise CommandError when the database or the user is unknown"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    try:
        pool = Pool(database)
        pool.init()
    except Exception as exception:
        detail = str(exception).strip().splitlines()
        raise CommandError(
            f"impossible d'ouvrir la base de données « {database} »"
            + (f" ({detail[0]})" if detail else "")
            + " : vérifiez son nom (-d) et la configuration (-c).") from None
    try:
        pool.get('association.mandate')
    except KeyError:
        raise CommandError(
            f"le module association n'est pas activé dans la base de données "
            f"« {database} ».") from None
    with Transaction().start(database, 0, readonly=True):
        User = pool.get('res.user')
        Lang = pool.get('ir.lang')
        users = User.search([('login', '=', login)], limit=1)
        if not users:
            raise CommandError(
                f"l'utilisateur « {login} » n'existe pas dans la base de "
                f"données « {database} » (--user).")
        user, = users
        with Transaction().set_user(user.id):
            context = User.get_preferences(context_only=True)
        if not user.language and Lang.search([
                    ('code', '=', 'fr'), ('translatable', '=', True)]):
            context['language'] = 'fr'
    return user.id, context


def seconds(value):
    "Format a duration in seconds the French way"
    return f'{value:.1f}'.replace('.', ',') + ' s'
