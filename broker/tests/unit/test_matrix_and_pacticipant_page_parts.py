"""The matrix page's query string and the pacticipant page's Markdown, without a server."""

from __future__ import annotations

import pytest

from contract_broker.errors import Invalid
from contract_broker.hal import Urls
from contract_broker.services.integration_pages import MatrixFilters
from contract_broker.ui.matrix_page import matrix_url, parse_matrix_query
from contract_broker.ui.pacticipant_page import markdown_badge


def test_empty_values_are_no_filter_and_the_first_page() -> None:
    assert parse_matrix_query([("consumer_branch", ""), ("page", "")]) == (MatrixFilters(), 1)


def test_filters_and_page_are_read() -> None:
    assert parse_matrix_query(
        [("provider_environment", "production"), ("consumer_branch", "feat/x"), ("page", "3")]
    ) == (MatrixFilters(consumer_branch="feat/x", provider_environment="production"), 3)


def test_every_bad_parameter_is_named_at_once() -> None:
    with pytest.raises(Invalid) as raised:
        parse_matrix_query([("page", "x"), ("branch", "main"), ("provider_branch", "a\nb")])

    assert sorted(raised.value.errors) == ["branch", "page", "provider_branch"]


def test_the_url_encodes_names_and_leaves_out_empty_parameters() -> None:
    url = matrix_url(Urls("http://b"), "a/b", "c d", consumer_branch="x&y", page=None)

    assert url == "http://b/matrix/provider/a%2Fb/consumer/c%20d?consumer_branch=x%26y"


def test_brackets_in_the_alt_text_cannot_end_the_markdown_image() -> None:
    assert markdown_badge("a]b[c\\", "http://x/i", "http://x/t") == (
        "[![a\\]b\\[c\\\\](http://x/i)](http://x/t)"
    )
