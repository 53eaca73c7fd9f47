"""CloudFormation that ships with Monocyte passes cfn-lint."""
from __future__ import annotations

import json

from cfnlint.api import ManualArgs, lint

from chalicelib import audit


def test_the_verdict_table_template_passes_cfn_lint():
    template = json.dumps(audit.template("monocyte-verdicts-prod"))
    problems = lint(template, config=ManualArgs(regions=["eu-central-1"]))
    assert [str(p) for p in problems] == []


def test_the_verdict_table_is_what_the_code_writes_to():
    table = audit.template("t")["Resources"]["VerdictTable"]["Properties"]
    assert table["KeySchema"] == audit.KEY_SCHEMA
    assert table["TimeToLiveSpecification"]["AttributeName"] == audit.TTL_ATTRIBUTE


def test_monocyte_template_prints_each_template_as_json(capsys):
    from chalicelib import cli, templates

    for name in templates.NAMES:
        assert cli.main(["template", name]) == 0
        assert "Resources" in json.loads(capsys.readouterr().out)
