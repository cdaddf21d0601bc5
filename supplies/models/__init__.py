"""The models, one module per aggregate; importing this package registers them all."""

from supplies.models.area import Area
from supplies.models.audit import AuditEntry
from supplies.models.bundle import Bundle, BundleLine
from supplies.models.count import CountSession
from supplies.models.dated import LotStatusChange, QuarterCounts, QuarterState
from supplies.models.distribution import DistributionEvent, DistributionLine
from supplies.models.imported_file import ImportedFile, ImportRun
from supplies.models.job import Job, StoredFile, StoredFileChunk
from supplies.models.operation import Operation
from supplies.models.par_level import ParLevel
from supplies.models.partner import (
    PartnerReport,
    PartnerReportLine,
    SupplyRequest,
    SupplyRequestLine,
)
from supplies.models.revision import Revision
from supplies.models.session import UserSession
from supplies.models.site import Site
from supplies.models.stock import Balance, Batch, Movement
from supplies.models.supply import FundingSource, Supply
from supplies.models.throttle import SignInThrottle
from supplies.models.user import ApiToken, User, user_sites

__all__ = [
    "ApiToken",
    "Area",
    "AuditEntry",
    "Balance",
    "Batch",
    "Bundle",
    "BundleLine",
    "CountSession",
    "DistributionEvent",
    "DistributionLine",
    "FundingSource",
    "ImportedFile",
    "ImportRun",
    "Job",
    "LotStatusChange",
    "Movement",
    "Operation",
    "ParLevel",
    "PartnerReport",
    "PartnerReportLine",
    "QuarterCounts",
    "QuarterState",
    "Revision",
    "SignInThrottle",
    "Site",
    "StoredFile",
    "StoredFileChunk",
    "Supply",
    "SupplyRequest",
    "SupplyRequestLine",
    "User",
    "UserSession",
    "user_sites",
]
