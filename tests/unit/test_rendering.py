"""The renderer substitutes names and nothing else."""

from __future__ import annotations

import pytest

from tenx_email.errors import RenderedSubjectUnsafe
from tenx_email.rendering import render, variables_used


def test_placeholders_are_replaced_in_subject_html_and_text() -> None:
    rendered = render(
        "Thanks, {{firstName}}",
        "<p>Hi {{ firstName }}, about {{service}}</p>",
        "Hi {{firstName}}, about {{service}}",
        {"firstName": "Asha", "service": "AI setup"},
    )
    assert rendered.subject == "Thanks, Asha"
    assert rendered.html == "<p>Hi Asha, about AI setup</p>"
    assert rendered.text == "Hi Asha, about AI setup"
    assert rendered.missing_variables == ()


def test_values_are_escaped_in_html_and_literal_in_text() -> None:
    value = "<script>alert('x')</script> & \"co\""
    rendered = render("s", "<b>{{v}}</b>", "{{v}}", {"v": value})
    assert rendered.html == (
        "<b>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;co&quot;</b>"
    )
    assert rendered.text == value


@pytest.mark.parametrize(
    "template",
    ["{{7*7}}", "{{a.__class__}}", "{{ ''.__class__.__mro__ }}", "{%print 1%}", "{{}}", "{{1abc}}"],
)
def test_anything_but_a_name_stays_inert(template: str) -> None:
    rendered = render("s", None, template, {"a": "A", "7": "seven"})
    assert rendered.text == template


def test_missing_variables_render_empty_and_are_reported_once_in_order() -> None:
    rendered = render("{{b}} {{a}}", "{{a}}{{c}}", None, {"c": "C"})
    assert rendered.subject == " "
    assert rendered.html == "C"
    assert rendered.missing_variables == ("b", "a")


def test_a_value_is_never_rendered_again_as_a_template() -> None:
    assert render("s", None, "{{x}}", {"x": "{{y}}", "y": "boom"}).text == "{{y}}"


@pytest.mark.parametrize("evil", ["a\r\nBcc: victim@example.com", "a\nb", "a\x00", "a\u2028b"])
def test_a_subject_that_renders_a_header_break_is_refused(evil: str) -> None:
    with pytest.raises(RenderedSubjectUnsafe):
        render("Hello {{name}}", None, "t", {"name": evil})


def test_line_breaks_in_bodies_are_fine() -> None:
    assert render("s", None, "{{v}}", {"v": "one\r\ntwo"}).text == "one\r\ntwo"


def test_variables_used_lists_names_across_parts() -> None:
    assert variables_used("{{a}}", None, "{{b}} {{a}} {{7*7}}") == ["a", "b"]
