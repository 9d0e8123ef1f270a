"""FastAPI dependencies of the TAXII routes: the service, content negotiation, the user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from acuerdo.api.taxii.media import negotiate
from acuerdo.api.taxii.service import TaxiiService, taxii_service

Service = Annotated[TaxiiService, Depends(taxii_service)]
Negotiated = Depends(negotiate)
