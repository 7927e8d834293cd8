# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from decimal import Decimal

from proteus import Model

from trytond.modules.account_fr.tests.tools import get_accounts

__all__ = ['create_sponsorship_product']


def create_sponsorship_product(name="Partenariat", config=None):
    "Create a service product invoiced with 20% VAT on account 706"
    Account = Model.get('account.account', config=config)
    ModelData = Model.get('ir.model.data', config=config)
    ProductCategory = Model.get('product.category', config=config)
    ProductTemplate = Model.get('product.template', config=config)
    ProductUom = Model.get('product.uom', config=config)
    Tax = Model.get('account.tax', config=config)

    accounts = get_accounts(config=config)
    revenue, = Account.find([
            ('code', '=', '706'),
            ('company', '=', accounts['revenue'].company.id),
            ])
    vat, = Tax.find([
            ('template', '=', ModelData.get_id(
                    'account_fr', 'tva_vente_services_taux_normal',
                    config.context if config else {})),
            ])
    category = ProductCategory(name="Partenariats")
    category.accounting = True
    category.account_revenue = revenue
    category.customer_taxes.append(vat)
    category.save()

    unit, = ProductUom.find([('name', '=', "Unit")])
    template = ProductTemplate(name=name, type='service')
    template.default_uom = unit
    template.list_price = Decimal(0)
    template.account_category = category
    template.save()
    product, = template.products
    return product
