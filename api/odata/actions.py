"""The POS actions of the OData V4 surface: each OData action name and the REST route it aliases.

The names are the contract's (``CONTRACT.md``, "OData V4 aliases"); REST stays canonical. An
action marked ``optional`` is aliased when its REST route exists in this build. The batch import
(``/pos/articles/import-batch``) has no alias: its body streams (hundreds of MB) on its own path.
"""
from __future__ import annotations

from dataclasses import dataclass

ROOT = "/odata/v4/pos/"  # the service root; every action is ROOT + its name
NAMESPACE = "DRE.POS"  # of the CSDL schema
CONTAINER = "POSService"  # the entity container (the seed's service name)


@dataclass(frozen=True)
class Action:
    name: str  # the unbound action's name (its ActionImport has the same name)
    rest_path: str  # the canonical route it answers as
    optional: bool = False

    @property
    def path(self) -> str:
        return ROOT + self.name


ACTIONS = (
    Action("evaluate", "/pos/v2/evaluate"),
    Action("simulate", "/pos/v2/simulate"),
    Action("confirm", "/pos/v2/confirm"),
    Action("validateCoupon", "/pos/coupons/validate"),
    Action("reserveCoupon", "/pos/coupons/reserve"),
    Action("redeemCoupon", "/pos/coupons/redeem"),
    Action("cancelCoupon", "/pos/coupons/cancel"),
    Action("activateCoupon", "/pos/coupons/activate"),
    Action("issueCoupons", "/pos/coupons/issue"),
    Action("voidCoupon", "/pos/coupons/void", optional=True),  # the admin void of a code
    Action("importArticles", "/pos/articles/import"),
)
