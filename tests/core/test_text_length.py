"""A text longer than its field's limit is refused as sent, before trimming: "\x1e" is whitespace to
`str.strip`, so a 2,001-character message starting with it once passed a 2,000-character limit (Schemathesis
found it on POST /api/v1/invitations/)."""

from __future__ import annotations

import pytest
from rest_framework.exceptions import ValidationError

from core.serializers import CharField


def test_a_text_over_the_limit_is_refused_even_if_trimming_would_bring_it_under():
    with pytest.raises(ValidationError) as refused:
        CharField(max_length=5).run_validation("\x1e12345")
    assert refused.value.detail[0].code == "max_length"


def test_a_text_within_the_limit_is_still_trimmed():
    assert CharField(max_length=5).run_validation(" 123 ") == "123"
