"""The workshop's API: dispatch of a repair order's labour (``/repair-orders/{id}/dispatch``), the jobs
with their clock (``/jobs``, ``/jobs/{id}/clock``) and parts for a job (``/parts-requests``); one module
per feature. Ids only match digits (``{id:...}``)."""

from ninja import Router

from aftersales.workshop.api import dispatch, jobs, parts

router = Router()
for feature in (dispatch, jobs, parts):
    router.add_router("", feature.router)
