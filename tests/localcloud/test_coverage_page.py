"""localcloud/COVERAGE.md is what the routing table says, so the page cannot drift from the code."""

from __future__ import annotations

from localcloud import coverage
from localcloud.cos.routes import NOT_IMPLEMENTED, ROUTES


def test_it_keeps_the_committed_coverage_page_up_to_date() -> None:
    committed = coverage.PAGE.read_text(encoding="utf-8")
    assert committed == coverage.render(), "run `python -m localcloud.coverage` and commit localcloud/COVERAGE.md"


def test_it_lists_every_route_and_every_missing_operation_with_its_cam_action() -> None:
    page = coverage.render()
    for route in ROUTES:
        assert f"| {route.operation} | `{route.request}` | `{route.action}` |" in page
    for missing in NOT_IMPLEMENTED:
        assert f"`{missing.action}`" in page
    assert "| GetBucket | `GET /` | `name/cos:GetBucket` | The bucket resource, or `<bucket>/<prefix>`" in page
